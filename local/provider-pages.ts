import { createHash } from 'node:crypto';
import { escapeHtml } from '../lambdas/core/pages.js';

/**
 * The embedded provider's own pages: sign-in, consent, sign-out and errors. Each is one document
 * with one inline stylesheet and nothing else, so a page never reaches past this machine.
 */

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;background:#f1f3f4;color:#1b1f24;margin:0}' +
  'main{max-width:24rem;margin:4rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.2)}' +
  'h1{font-size:1.35rem;margin:0 0 .25rem}.muted{color:#5f6368;margin-top:0}' +
  'label{display:block;margin:1rem 0 .25rem;font-weight:600}' +
  'input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #bdc1c6;border-radius:4px}' +
  'button{width:100%;margin-top:1.25rem;padding:.6rem;font:inherit;font-weight:600;border:0;border-radius:4px;background:#0b57d0;color:#fff;cursor:pointer}' +
  'button.secondary{margin-top:.5rem;background:#fff;color:#0b57d0;border:1px solid #0b57d0}' +
  'ul{padding-left:1.25rem}code{background:#f1f3f4;padding:0 .25rem}.error{color:#b3261e}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** Ids of the forms, so a browser-less client can find what to submit. */
export const PROVIDER_FORM_IDS = { login: 'login-form', consent: 'consent-form', deny: 'deny-form' } as const;

/**
 * Only the inline stylesheet, and forms that may go to the provider itself and to the client.
 * The client's origins are needed because Chromium applies form-action to the redirect that
 * answers the form POST, and the provider answers with a redirect back to the client.
 */
export function providerPageCsp(clientOrigins: readonly string[]): string {
  const formTargets = ["'self'", ...new Set(clientOrigins)].join(' ');
  return `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action ${formTargets}; base-uri 'none'; frame-ancestors 'none'`;
}

/** `body` is HTML: every caller escapes what it interpolates. */
function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main>${body}</main></body></html>`
  );
}

export interface LoginPage {
  readonly applicationName: string;
  readonly action: string;
  /** Shown above the form after a rejected attempt. */
  readonly problem?: string;
}

export function loginPage({ applicationName, action, problem }: LoginPage): string {
  const notice = problem === undefined ? '' : `<p class="error">${escapeHtml(problem)}</p>`;
  return page(
    'Sign in',
    `<h1>Sign in</h1><p class="muted">to continue to ${escapeHtml(applicationName)}</p>${notice}` +
      `<form id="${PROVIDER_FORM_IDS.login}" method="post" action="${escapeHtml(action)}">` +
      `<label for="login">User name</label><input id="login" name="login" required autofocus autocomplete="username">` +
      `<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">` +
      `<button type="submit">Sign in</button></form>` +
      `<p class="muted">Any user name and password are accepted.</p>`,
  );
}

export interface ConsentPage {
  readonly applicationName: string;
  readonly scopes: readonly string[];
  /** Auth0's `audience`: the API the application asks to call, shown like Auth0's consent page does. */
  readonly audience: string | undefined;
  readonly action: string;
  readonly denyAction: string;
}

/** What each standard scope lets the application see, as a person would say it. */
const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Sign you in with your account',
  profile: 'Your name and profile',
  email: 'Your email address, and whether it is verified',
  address: 'Your postal address',
  phone: 'Your phone number',
  offline_access: 'Stay signed in when you are away',
};

function scopeItem(scope: string): string {
  const description = SCOPE_DESCRIPTIONS[scope];
  // An API's own scope has no standard meaning: shown by its name, as Auth0's consent page does.
  return description === undefined ? `<li>Access: <code>${escapeHtml(scope)}</code></li>` : `<li>${escapeHtml(description)}</li>`;
}

export function consentPage({ applicationName, scopes, audience, action, denyAction }: ConsentPage): string {
  const items = scopes.map(scopeItem).join('');
  const api = audience === undefined ? '' : `<p class="muted">To call the API <code>${escapeHtml(audience)}</code>.</p>`;
  return page(
    'Authorize',
    `<h1>Authorize ${escapeHtml(applicationName)}</h1><p class="muted">The application asks to:</p><ul>${items}</ul>${api}` +
      `<form id="${PROVIDER_FORM_IDS.consent}" method="post" action="${escapeHtml(action)}"><button type="submit">Continue</button></form>` +
      `<form id="${PROVIDER_FORM_IDS.deny}" method="post" action="${escapeHtml(denyAction)}"><button type="submit" class="secondary">Cancel</button></form>`,
  );
}

/** `form` is the library's own (empty) form carrying the anti-forgery token; the button submits it. */
export function logoutPage({ applicationName, form }: { readonly applicationName: string; readonly form: string }): string {
  return page(
    'Sign out',
    `<h1>Sign out</h1><p class="muted">Sign out of ${escapeHtml(applicationName)}?</p>${form}` +
      `<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>`,
  );
}

export function signedOutPage({ applicationName }: { readonly applicationName: string }): string {
  return page('Signed out', `<h1>Signed out</h1><p class="muted">You have signed out of ${escapeHtml(applicationName)}.</p>`);
}

export function errorPage({ error, description }: { readonly error: string; readonly description?: string }): string {
  const detail = description === undefined ? '' : `<p>${escapeHtml(description)}</p>`;
  return page('Sign-in error', `<h1>Something went wrong</h1><p class="error"><code>${escapeHtml(error)}</code></p>${detail}`);
}
