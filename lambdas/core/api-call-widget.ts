import { createHash } from 'node:crypto';
import { escapeHtml, type PageWidget } from './pages.js';

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

/** A button that calls the API through the proxy (a same-origin path) and shows its answer as text. */
export function apiCallWidget(path: string, label: string): PageWidget {
  return {
    html:
      `<p><button type="button" id="call-api" data-path="${escapeHtml(path)}">${escapeHtml(label)}</button></p>` +
      `<pre id="api-answer" aria-live="polite"></pre><script>${CALL_API_SCRIPT}</script>`,
    scriptHash: CALL_API_SCRIPT_HASH,
  };
}
