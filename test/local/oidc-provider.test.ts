import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { jest } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { closeServer } from '../../local/close-server.js';
import { findFreePort } from '../../local/free-port.js';
import { DEFAULT_APPLICATION_NAME, startEmbeddedProvider, type EmbeddedProvider } from '../../local/oidc-provider.js';
import { endProviderSession, ProviderCookies, signInAtProvider } from '../support/provider-sign-in.js';

/** The embedded provider over real HTTP, as the functions and a browser meet it in place of Auth0. */
const CLIENT_ID = 'local-demo';
const CLIENT_SECRET = 'local-demo-secret';
const CLIENT_ORIGIN = 'http://localhost:3000';
const REDIRECT_URI = `${CLIENT_ORIGIN}/callback`;
const POST_LOGOUT_REDIRECT_URI = `${CLIENT_ORIGIN}/signed-out`;

let provider: EmbeddedProvider;

beforeAll(async () => {
  provider = await startEmbeddedProvider({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
    port: await findFreePort(),
  });
});

afterAll(async () => {
  await provider?.stop();
});

interface AuthorizeRequest {
  readonly url: string;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

/** 43 characters: the shortest PKCE verifier allowed. */
function randomValue(): string {
  return randomBytes(32).toString('base64url');
}

/** What the login function sends: PKCE S256, state, nonce and Auth0's `audience`. */
function authorizeRequest(issuer = provider.issuer): AuthorizeRequest {
  const verifier = randomValue();
  const state = randomValue();
  const nonce = randomValue();
  const url = new URL('authorize', issuer);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    audience: 'https://api.example.test',
  }).toString();
  return { url: url.href, verifier, state, nonce };
}

function param(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (value === null) throw new Error(`${url.href} has no ${name}`);
  return value;
}

function redeem(target: EmbeddedProvider, code: string, verifier: string, clientSecret = CLIENT_SECRET): Promise<Response> {
  return fetch(target.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_id: CLIENT_ID,
      client_secret: clientSecret,
    }),
  });
}

/** Signs in, redeems the code and returns the verified ID token's payload and header. */
async function signInForIdToken(target: EmbeddedProvider, login: string, cookies?: ProviderCookies) {
  const request = authorizeRequest(target.issuer);
  const callback = await signInAtProvider(request.url, { login, ...(cookies === undefined ? {} : { cookies }) });
  const response = await redeem(target, param(callback, 'code'), request.verifier);
  expect(response.status).toBe(200);
  const { id_token: idToken } = (await response.json()) as { id_token: string };
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(target.jwksUri)), {
    issuer: target.issuer,
    audience: CLIENT_ID,
    algorithms: ['RS256'],
  });
  return { payload, header: decodeProtectedHeader(idToken), nonce: request.nonce };
}

/** Every absolute URL in a page must point at the provider or the client: nothing else is ever fetched or linked. */
function expectSelfContained(response: Response, html: string): void {
  const allowed = new Set([new URL(provider.issuer).origin, CLIENT_ORIGIN]);
  // What a page links to or loads; text that merely names a URL (the API asked for) is not a resource.
  for (const [, url = ''] of html.matchAll(/(?:href|src|action)="(https?:\/\/[^"]+)"/g)) expect(allowed).toContain(new URL(url).origin);
  expect(html).not.toMatch(/<(script|link|img|iframe)\b|@import|url\(/i);
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; form-action 'self' http:\/\/localhost:3000;/);
  expect(response.headers.get('cache-control')).toBe('no-store');
}

test('discovery publishes Auth0 paths, RS256 ID tokens and client_secret_post', async () => {
  const response = await fetch(new URL('.well-known/openid-configuration', provider.issuer));
  const discovery = (await response.json()) as Record<string, unknown>;
  expect(discovery).toMatchObject({
    issuer: provider.issuer,
    authorization_endpoint: `${provider.issuer}authorize`,
    token_endpoint: provider.tokenEndpoint,
    jwks_uri: provider.jwksUri,
    end_session_endpoint: provider.endSessionEndpoint,
    userinfo_endpoint: `${provider.issuer}userinfo`,
    authorization_response_iss_parameter_supported: true,
  });
  expect(provider.tokenEndpoint).toBe(`${provider.issuer}oauth/token`);
  expect(provider.jwksUri).toBe(`${provider.issuer}.well-known/jwks.json`);
  expect(provider.endSessionEndpoint).toBe(`${provider.issuer}oidc/logout`);
  expect(discovery.id_token_signing_alg_values_supported).toEqual(['RS256']);
  expect(discovery.token_endpoint_auth_methods_supported).toContain('client_secret_post');
  expect(discovery.code_challenge_methods_supported).toEqual(['S256']);

  const { keys } = (await (await fetch(provider.jwksUri)).json()) as { keys: Record<string, unknown>[] };
  expect(keys).toHaveLength(1);
  expect(keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', kid: expect.any(String) });
  expect(keys[0]).not.toHaveProperty('d');
});

test('a sign-in and a code exchange yield an RS256 ID token with the claims Auth0 puts in it', async () => {
  const { payload, header, nonce } = await signInForIdToken(provider, 'Alice Example');
  expect(header).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
  expect(payload).toMatchObject<JWTPayload>({
    iss: provider.issuer,
    aud: CLIENT_ID,
    sub: 'Alice Example',
    name: 'Alice Example',
    email: 'alice-example@example.test',
    email_verified: true,
    nonce,
    sid: expect.any(String),
  });
});

test('the callback carries code, state and iss, and the code needs the right client secret', async () => {
  const request = authorizeRequest();
  const callback = await signInAtProvider(request.url, { login: 'bob' });
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
  expect(param(callback, 'state')).toBe(request.state);
  expect(param(callback, 'iss')).toBe(provider.issuer);

  const refused = await redeem(provider, param(callback, 'code'), request.verifier, 'not-the-secret');
  expect(refused.status).toBe(401);
  expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
});

test('denying consent sends access_denied back to the client', async () => {
  const request = authorizeRequest();
  const callback = await signInAtProvider(request.url, { login: 'carol', consent: 'deny' });
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
  expect(param(callback, 'error')).toBe('access_denied');
  expect(param(callback, 'state')).toBe(request.state);
  expect(callback.searchParams.has('code')).toBe(false);
});

test('the sign-in and consent pages load nothing from elsewhere and carry the CSP', async () => {
  const pages: string[] = [];
  await signInAtProvider(authorizeRequest().url, {
    login: 'dave',
    onPage: (_url, response, html) => {
      expectSelfContained(response, html);
      pages.push(html);
    },
  });
  const [login, consent] = pages;
  expect(pages).toHaveLength(2);
  expect(login).toContain(`to continue to ${DEFAULT_APPLICATION_NAME}`);
  expect(login).toMatch(/<input id="login" name="login"/);
  expect(login).toMatch(/<input id="password" name="password" type="password"/);
  expect(login).toMatch(/<button type="submit">Sign in<\/button>/);
  expect(consent).toMatch(/<button type="submit">Continue<\/button>/);
  expect(consent).toMatch(/<button type="submit" class="secondary">Cancel<\/button>/);
  // Each scope as a person would read it, not its protocol name.
  for (const description of ['Sign you in with your account', 'Your name and profile', 'Your email address, and whether it is verified']) {
    expect(consent).toContain(`<li>${description}</li>`);
  }
  for (const scope of ['openid', 'profile', 'email']) expect(consent).not.toContain(`<code>${scope}</code>`);
});

test('an empty user name is asked for again, and an error is our own page', async () => {
  const cookies = new ProviderCookies();
  const authorize = await fetch(authorizeRequest().url, { redirect: 'manual' });
  cookies.store(authorize);
  const loginPage = new URL(authorize.headers.get('location') ?? '', provider.issuer);
  const empty = await fetch(new URL(`${loginPage.pathname}/login`, provider.issuer), {
    method: 'POST',
    headers: { cookie: cookies.header(loginPage), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login: ' ', password: 'x' }),
  });
  const emptyHtml = await empty.text();
  expect(empty.status).toBe(400);
  expect(emptyHtml).toContain('Enter a user name.');
  expectSelfContained(empty, emptyHtml);

  const unknownClient = await fetch(authorizeRequest().url.replace(`client_id=${CLIENT_ID}`, 'client_id=unknown'), { redirect: 'manual' });
  const errorHtml = await unknownClient.text();
  expect(unknownClient.status).toBe(400);
  expect(errorHtml).toContain('<code>invalid_client</code>');
  expectSelfContained(unknownClient, errorHtml);

  const noInteraction = await fetch(new URL('interaction/unknown', provider.issuer));
  expect(noInteraction.status).toBe(400);
  expectSelfContained(noInteraction, await noInteraction.text());
});

test('the end-session endpoint asks for confirmation on a styled page, then returns to the client', async () => {
  const cookies = new ProviderCookies();
  await signInAtProvider(authorizeRequest().url, { login: 'erin', cookies });
  const endSession = new URL(provider.endSessionEndpoint);
  endSession.search = new URLSearchParams({ client_id: CLIENT_ID, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state: 'after-logout' }).toString();

  const confirmation = await fetch(endSession, { headers: { cookie: cookies.header(endSession) } });
  const html = await confirmation.text();
  expect(confirmation.status).toBe(200);
  expectSelfContained(confirmation, html);
  expect(html).toContain('<style>');
  expect(html).toContain(`Sign out of ${DEFAULT_APPLICATION_NAME}?`);
  expect(html).toMatch(/<form id="op\.logoutForm" method="post" action="[^"]+">/);
  expect(html).toMatch(/<button type="submit" form="op\.logoutForm" name="logout" value="yes" autofocus>Sign out<\/button>/);

  const returned = await endProviderSession(endSession.href, cookies);
  expect(`${returned.origin}${returned.pathname}`).toBe(POST_LOGOUT_REDIRECT_URI);
  expect(param(returned, 'state')).toBe('after-logout');
});

test('without a post-logout URI the provider shows its own signed-out page', async () => {
  const cookies = new ProviderCookies();
  await signInAtProvider(authorizeRequest().url, { login: 'frank', cookies });
  const success = await endProviderSession(`${provider.endSessionEndpoint}?client_id=${CLIENT_ID}`, cookies);
  expect(success.origin).toBe(new URL(provider.issuer).origin);
  const page = await fetch(success);
  const html = await page.text();
  expect(page.status).toBe(200);
  expectSelfContained(page, html);
  expect(html).toContain(`You have signed out of ${DEFAULT_APPLICATION_NAME}.`);
});

test('with a back-channel logout URI, signing out POSTs a logout token for the ID token session', async () => {
  const logoutTokens: string[] = [];
  const receiver: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      response.writeHead(200).end();
    });
  });
  const receiverPort = await findFreePort();
  await new Promise<void>((resolve) => receiver.listen(receiverPort, '127.0.0.1', resolve));
  const withBackchannel = await startEmbeddedProvider({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
    backchannelLogoutUri: `http://127.0.0.1:${receiverPort}/backchannel-logout`,
    applicationName: 'Back-channel <demo>',
  });
  // Under Jest's module sandbox the library cannot build its address guard for outgoing requests and says so;
  // the provider does not use that guard for its loopback receiver anyway.
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    const cookies = new ProviderCookies();
    const { payload } = await signInForIdToken(withBackchannel, 'grace', cookies);
    const discovery = (await (await fetch(new URL('.well-known/openid-configuration', withBackchannel.issuer))).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });

    const endSession = `${withBackchannel.endSessionEndpoint}?client_id=${CLIENT_ID}&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT_REDIRECT_URI)}`;
    const confirmation = await (await fetch(endSession, { headers: { cookie: cookies.header(new URL(endSession)) } })).text();
    expect(confirmation).toContain('Sign out of Back-channel &#60;demo&#62;?');
    await endProviderSession(endSession, cookies);

    expect(logoutTokens).toHaveLength(1);
    const { payload: logout } = await jwtVerify(logoutTokens[0] ?? '', createRemoteJWKSet(new URL(withBackchannel.jwksUri)), {
      issuer: withBackchannel.issuer,
      audience: CLIENT_ID,
    });
    expect(logout).toMatchObject({ sub: 'grace', sid: payload.sid });
    for (const [message] of warn.mock.calls) expect(String(message)).toContain('failed to setup SSRF protection');
  } finally {
    warn.mockRestore();
    await withBackchannel.stop();
    await closeServer(receiver);
  }
});
