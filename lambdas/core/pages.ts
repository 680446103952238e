import { createHash } from 'node:crypto';
import { htmlResponse, type HttpResponse } from './http.js';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}' +
  'h1{font-size:1.5rem}a{color:#0b57d0}code{background:#f1f3f4;padding:0 .25rem}.muted{color:#5f6368}' +
  'button{font:inherit;padding:.4rem 1rem;border:1px solid #0b57d0;border-radius:.3rem;background:#fff;color:#0b57d0;cursor:pointer}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');


/** No scripts, no third-party resources: only our one inline stylesheet, pinned by its hash. */
export const PAGE_CSP = pageCsp(["'none'"]);

/**
 * `form-action` also governs where a form's answer may redirect, so a page with a form lists those
 * targets. A page with a widget runs only the widget's script, pinned by its hash, and fetches only
 * from its own origin.
 */
function pageCsp(formTargets: readonly string[], widget?: PageWidget): string {
  const script = widget === undefined ? '' : ` script-src 'sha256-${widget.scriptHash}'; connect-src 'self';`;
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
  /** Where the reader may go from here, after everything else. */
  readonly links?: readonly PageLink[];
  /** A one-button POST form (signing out is a POST, so a link or an image cannot trigger it). */
  readonly form?: { readonly action: string; readonly label: string; readonly redirectTargets: readonly string[] };
  /** Interactive markup with its one script (e.g. the "Call the API" button), shown after the paragraphs. */
  readonly widget?: PageWidget;
}

/**
 * Markup built by its own module, so a function whose pages have none does not carry its script.
 * `html` is trusted markup; `scriptHash` pins the one inline script it contains.
 */
export interface PageWidget {
  readonly html: string;
  readonly scriptHash: string;
}

function anchor({ href, label }: PageLink): string {
  return `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`;
}

export function renderPage(content: PageContent): string {
  const paragraphs = content.paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('');
  const form =
    content.form === undefined
      ? ''
      : `<form method="post" action="${escapeHtml(content.form.action)}"><button type="submit">${escapeHtml(content.form.label)}</button></form>`;
  const links = content.links?.length ? `<p>${content.links.map(anchor).join(' · ')}</p>` : '';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(content.title)}</title><style>${STYLE}</style></head>` +
    `<body><main><h1>${escapeHtml(content.title)}</h1>${paragraphs}${content.widget?.html ?? ''}${form}${links}</main></body></html>`
  );
}

export function pageResponse(statusCode: number, content: PageContent, extraHeaders?: Record<string, string>): HttpResponse {
  const formTargets = content.form === undefined ? ["'none'"] : ["'self'", ...content.form.redirectTargets];
  return htmlResponse(statusCode, renderPage(content), pageCsp(formTargets, content.widget), extraHeaders);
}
