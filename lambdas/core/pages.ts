import { createHash } from 'node:crypto';
import { htmlResponse, type HttpResponse } from './http.js';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}' +
  'h1{font-size:1.5rem}a{color:#0b57d0}code{background:#f1f3f4;padding:0 .25rem}.muted{color:#5f6368}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** No scripts, no third-party resources: only our one inline stylesheet, pinned by its hash. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (character) => `&#${character.charCodeAt(0)};`);
}

export interface PageContent {
  readonly title: string;
  /** Paragraphs of plain text; escaped here, so callers never build HTML. */
  readonly paragraphs: readonly string[];
  readonly link?: { readonly href: string; readonly label: string };
}

export function renderPage(content: PageContent): string {
  const paragraphs = content.paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('');
  const link =
    content.link === undefined ? '' : `<p><a href="${escapeHtml(content.link.href)}">${escapeHtml(content.link.label)}</a></p>`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(content.title)}</title><style>${STYLE}</style></head>` +
    `<body><main><h1>${escapeHtml(content.title)}</h1>${paragraphs}${link}</main></body></html>`
  );
}

export function pageResponse(statusCode: number, content: PageContent, extraHeaders?: Record<string, string>): HttpResponse {
  return htmlResponse(statusCode, renderPage(content), PAGE_CSP, extraHeaders);
}
