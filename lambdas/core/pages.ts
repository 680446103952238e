import { createHash } from 'node:crypto';
import { htmlResponse, type HttpResponse } from './http.js';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}' +
  'h1{font-size:1.5rem}a{color:#0b57d0}code{background:#f1f3f4;padding:0 .25rem}.muted{color:#5f6368}' +
  'button{font:inherit;padding:.4rem 1rem;border:1px solid #0b57d0;border-radius:.3rem;background:#fff;color:#0b57d0;cursor:pointer}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * The "Call the API" button's script: a same-origin fetch through the token-handler proxy (the
 * browser never sees a token), the answer shown as text only. Constant, so its hash pins it; the
 * path comes from the button's data attribute. `x-csrf` is not needed for GET, but sent as any
 * call through the proxy should.
 */
const CALL_API_SCRIPT =
  "document.getElementById('call-api').addEventListener('click',async(event)=>{" +
  "const path=event.currentTarget.dataset.path;const out=document.getElementById('api-answer');out.textContent='Calling the API…';" +
  "try{const response=await fetch(path,{headers:{'x-csrf':'1',accept:'application/json'},credentials:'same-origin'});" +
  'const body=await response.json().catch(()=>null);' +
  "out.textContent=response.ok&&body&&typeof body.sub==='string'" +
  "?'sub: '+body.sub+'\\nscopes: '+(Array.isArray(body.scopes)?body.scopes.join(' '):'')" +
  ":'The API answered '+response.status+(body&&typeof body.error==='string'?' ('+body.error+')':'');" +
  "}catch{out.textContent='The API could not be reached.';}});";
const CALL_API_SCRIPT_HASH = createHash('sha256').update(CALL_API_SCRIPT).digest('base64');

/** No scripts, no third-party resources: only our one inline stylesheet, pinned by its hash. */
export const PAGE_CSP = pageCsp(["'none'"], false);

/**
 * `form-action` also governs where a form's answer may redirect, so a page with a form lists those
 * targets. A page that calls the API runs only the script pinned by its hash, and fetches only from
 * its own origin.
 */
function pageCsp(formTargets: readonly string[], callsApi: boolean): string {
  const script = callsApi ? ` script-src 'sha256-${CALL_API_SCRIPT_HASH}'; connect-src 'self';` : '';
  return `default-src 'none'; style-src 'sha256-${STYLE_HASH}';${script} base-uri 'none'; form-action ${formTargets.join(' ')}; frame-ancestors 'none'`;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (character) => `&#${character.charCodeAt(0)};`);
}

export interface PageLink {
  readonly href: string;
  readonly label: string;
}

export interface PageContent {
  readonly title: string;
  /** Paragraphs of plain text; escaped here, so callers never build HTML. */
  readonly paragraphs: readonly string[];
  readonly link?: PageLink;
  /** Where else the reader may go from here, after everything else. */
  readonly links?: readonly PageLink[];
  /** A one-button POST form (signing out is a POST, so a link or an image cannot trigger it). */
  readonly form?: { readonly action: string; readonly label: string; readonly redirectTargets: readonly string[] };
  /** A button that calls the API through the proxy (a same-origin path) and shows its answer. */
  readonly apiCall?: { readonly path: string; readonly label: string };
}

export function renderPage(content: PageContent): string {
  const paragraphs = content.paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('');
  const link =
    content.link === undefined ? '' : `<p><a href="${escapeHtml(content.link.href)}">${escapeHtml(content.link.label)}</a></p>`;
  const form =
    content.form === undefined
      ? ''
      : `<form method="post" action="${escapeHtml(content.form.action)}"><button type="submit">${escapeHtml(content.form.label)}</button></form>`;
  const links =
    content.links === undefined || content.links.length === 0
      ? ''
      : `<p>${content.links.map(({ href, label }) => `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`).join(' · ')}</p>`;
  const apiCall =
    content.apiCall === undefined
      ? ''
      : `<p><button type="button" id="call-api" data-path="${escapeHtml(content.apiCall.path)}">${escapeHtml(content.apiCall.label)}</button></p>` +
        `<pre id="api-answer" aria-live="polite"></pre><script>${CALL_API_SCRIPT}</script>`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(content.title)}</title><style>${STYLE}</style></head>` +
    `<body><main><h1>${escapeHtml(content.title)}</h1>${paragraphs}${apiCall}${form}${link}${links}</main></body></html>`
  );
}

export function pageResponse(statusCode: number, content: PageContent, extraHeaders?: Record<string, string>): HttpResponse {
  const callsApi = content.apiCall !== undefined;
  const csp = content.form === undefined && !callsApi ? PAGE_CSP : pageCsp(content.form === undefined ? ["'none'"] : ["'self'", ...content.form.redirectTargets], callsApi);
  return htmlResponse(statusCode, renderPage(content), csp, extraHeaders);
}
