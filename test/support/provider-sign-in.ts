import { PROVIDER_FORM_IDS } from '../../local/provider-pages.js';

/**
 * A browser-less user at the embedded provider: follows its redirects, fills in its sign-in and
 * consent forms, and stops at the redirect back to the client without requesting it, so a test
 * can hand that URL to the function under test.
 */

/** More hops than any sign-in takes: authorize, sign-in, resume, consent, resume. */
const MAX_STEPS = 12;

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

/** The provider's cookies, each sent only under its path; pass the same jar to sign out of the session it holds. */
export class ProviderCookies {
  readonly #cookies = new Map<string, StoredCookie>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      const attribute = (wanted: string) =>
        attributes.find((candidate) => candidate.toLowerCase().startsWith(`${wanted}=`))?.slice(wanted.length + 1);
      const path = attribute('path') ?? '/';
      const expires = attribute('expires');
      const expired = value === '' || attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (expired) this.#cookies.delete(`${name};${path}`);
      else this.#cookies.set(`${name};${path}`, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.#cookies.values()]
      .filter(({ path }) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}

async function send(cookies: ProviderCookies, url: URL, form?: URLSearchParams): Promise<Response> {
  const headers: Record<string, string> = { cookie: cookies.header(url) };
  if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, { method: form === undefined ? 'GET' : 'POST', headers, body: form?.toString(), redirect: 'manual' });
  cookies.store(response);
  return response;
}

function unescapeHtml(value: string): string {
  return value.replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)));
}

function formAction(html: string, id: string): string | undefined {
  const match = new RegExp(`<form id="${id}" method="post" action="([^"]*)"`).exec(html);
  return match?.[1] === undefined ? undefined : unescapeHtml(match[1]);
}

function isRedirect(response: Response): boolean {
  return response.status >= 300 && response.status < 400 && response.headers.has('location');
}

/** What a failed page says, for the error message. */
function pageText(html: string): string {
  return html.replace(/<style>[^<]*<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}

export interface SignInOptions {
  readonly login: string;
  /** @default 'approve' */
  readonly consent?: 'approve' | 'deny';
  /** @default a fresh jar, so a sign-in never reuses an earlier session */
  readonly cookies?: ProviderCookies;
  /** Sees each page the provider shows on the way, as received. */
  readonly onPage?: (url: URL, response: Response, html: string) => void;
}

/** Resolves with the provider's redirect to the client: `code`, `state` and `iss`, or `error`. */
export async function signInAtProvider(authorizeUrl: string, options: SignInOptions): Promise<URL> {
  const cookies = options.cookies ?? new ProviderCookies();
  const redirectParam = new URL(authorizeUrl).searchParams.get('redirect_uri');
  if (redirectParam === null) throw new Error('the authorize URL has no redirect_uri');
  const redirectUri = new URL(redirectParam);
  let url = new URL(authorizeUrl);
  let response = await send(cookies, url);
  for (let step = 0; step < MAX_STEPS; step += 1) {
    if (isRedirect(response)) {
      url = new URL(response.headers.get('location') ?? '', url);
      if (url.origin === redirectUri.origin && url.pathname === redirectUri.pathname) return url;
      response = await send(cookies, url);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`${url.pathname} answered ${response.status}: ${pageText(html)}`);
    options.onPage?.(url, response, html);
    const login = formAction(html, PROVIDER_FORM_IDS.login);
    const choice = formAction(html, options.consent === 'deny' ? PROVIDER_FORM_IDS.deny : PROVIDER_FORM_IDS.consent);
    if (login !== undefined) {
      url = new URL(login, url);
      response = await send(cookies, url, new URLSearchParams({ login: options.login, password: 'any password' }));
    } else if (choice !== undefined) {
      url = new URL(choice, url);
      response = await send(cookies, url, new URLSearchParams());
    } else {
      throw new Error(`${url.pathname} shows neither a sign-in nor a consent form: ${pageText(html)}`);
    }
  }
  throw new Error(`no redirect to ${redirectParam} after ${MAX_STEPS} steps`);
}

/**
 * Confirms sign-out at the end-session URL (built by the caller, with `client_id` and
 * `post_logout_redirect_uri`) for the session in `cookies`, and resolves with where the provider
 * sends the browser next, without requesting it.
 */
export async function endProviderSession(endSessionUrl: string, cookies: ProviderCookies): Promise<URL> {
  const url = new URL(endSessionUrl);
  const page = await send(cookies, url);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`${url.pathname} answered ${page.status}: ${pageText(html)}`);
  // The confirmation page and the library's self-submitting page (no session) both carry one form with hidden fields.
  const action = /<form [^>]*action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error(`${url.pathname} shows no sign-out form: ${pageText(html)}`);
  const form = new URLSearchParams({ logout: 'yes' });
  for (const [, name = '', value = ''] of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"/g)) form.set(name, unescapeHtml(value));
  const confirmed = await send(cookies, new URL(unescapeHtml(action), url), form);
  if (!isRedirect(confirmed)) throw new Error(`sign-out confirmation answered ${confirmed.status}: ${pageText(await confirmed.text())}`);
  return new URL(confirmed.headers.get('location') ?? '', url);
}
