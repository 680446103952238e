import { createHash } from 'node:crypto';
import { htmlResponse, type HttpResponse } from './http.js';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}' +
  'h1{font-size:1.5rem}a{color:#0b57d0}code{background:#f1f3f4;padding:0 .25rem}.muted{color:#5f6368}' +
  'button{font:inherit;padding:.4rem 1rem;border:1px solid #0b57d0;border-radius:.3rem;background:#fff;color:#0b57d0;cursor:pointer}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** No scripts, no third-party resources: only our one inline stylesheet, pinned by its hash. */
export const PAGE_CSP = pageCsp(["'none'"]);

/** `form-action` also governs where a form's answer may redirect, so a page with a form lists those targets. */
function pageCsp(formTargets: readonly string[]): string {
  return `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action ${formTargets.join(' ')}; frame-ancestors 'none'`;
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
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(content.title)}</title><style>${STYLE}</style></head>` +
    `<body><main><h1>${escapeHtml(content.title)}</h1>${paragraphs}${form}${link}${links}</main></body></html>`
  );
}

export function pageResponse(statusCode: number, content: PageContent, extraHeaders?: Record<string, string>): HttpResponse {
  const csp = content.form === undefined ? PAGE_CSP : pageCsp(["'self'", ...content.form.redirectTargets]);
  return htmlResponse(statusCode, renderPage(content), csp, extraHeaders);
}
