import { DiscoveryError, discoveryUrl, settingsFromDiscovery, type DiscoveredSettings } from '../core/discovery.js';
import { createHttpClient, PROVIDER_HTTP_OPTIONS, type HttpClientOptions } from './http-client.js';

/**
 * Fetches and validates the provider's discovery document, once, through the same bounded client
 * as the token endpoint (connect and total timeouts, a size cap, no redirects). Every failure is a
 * DiscoveryError naming the issuer and what was wrong.
 */
export async function discoverProvider(issuer: string, options: HttpClientOptions = PROVIDER_HTTP_OPTIONS): Promise<DiscoveredSettings> {
  const url = discoveryUrl(issuer);
  const client = createHttpClient(options);
  try {
    let response: Response;
    try {
      response = await client.fetch(url, { headers: { accept: 'application/json' } });
    } catch (error) {
      throw new DiscoveryError(issuer, `${url} could not be fetched (${error instanceof Error ? error.message : 'no answer'})`);
    }
    if (response.status !== 200) {
      const moved = response.headers.get('location');
      throw new DiscoveryError(issuer, `${url} answered ${response.status}${moved === null ? '' : ` (a redirect, not followed, to ${moved})`}`);
    }
    let document: unknown;
    try {
      document = JSON.parse(await response.text());
    } catch {
      throw new DiscoveryError(issuer, `${url} did not answer JSON`);
    }
    return settingsFromDiscovery(issuer, document);
  } finally {
    client.close();
  }
}
