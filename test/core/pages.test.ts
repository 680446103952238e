import { createHash } from 'node:crypto';
import { htmlResponse, redirect } from '../../lambdas/core/http.js';
import { PAGE_CSP, escapeHtml, pageResponse, renderPage } from '../../lambdas/core/pages.js';
import { expectRedirect, expectSecurePage } from '../support/responses.js';

describe('escapeHtml', () => {
  test('escapes every character that can open markup or end an attribute', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&#38;&#60;&#62;&#34;&#39;&#96;');
  });

  test('leaves plain text alone', () => {
    expect(escapeHtml('Sign-in not completed: access_denied (user cancelled).')).toBe('Sign-in not completed: access_denied (user cancelled).');
  });

  test('a script tag becomes inert text', () => {
    expect(escapeHtml('<script>alert("x")</script>')).toBe('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
  });
});

describe('renderPage', () => {
  const html = renderPage({
    title: 'T <i>',
    paragraphs: ['one & two', '<img src=x onerror=alert(1)>'],
    links: [{ href: 'https://login.example.test/login?a=1&b="2"', label: 'Go <now>' }],
  });

  test('escapes the title, every paragraph and the link', () => {
    expect(html).toContain('<title>T &#60;i&#62;</title>');
    expect(html).toContain('<h1>T &#60;i&#62;</h1>');
    expect(html).toContain('<p>one &#38; two</p><p>&#60;img src=x onerror=alert(1)&#62;</p>');
    expect(html).toContain('<a href="https://login.example.test/login?a=1&#38;b=&#34;2&#34;">Go &#60;now&#62;</a>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<i>');
  });

  test('loads nothing: no script, no external stylesheet, image, font or frame', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
  });

  test('its one inline stylesheet is the one the CSP pins by hash', () => {
    const style = /<style>(.*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(PAGE_CSP).toContain(`style-src 'sha256-${hash}'`);
  });
});

describe('PAGE_CSP', () => {
  test("denies everything by default, frames included, and allows no inline script", () => {
    const directives = PAGE_CSP.split('; ');
    expect(directives[0]).toBe("default-src 'none'");
    expect(directives).toEqual(
      expect.arrayContaining(["base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"]),
    );
    expect(directives.filter((directive) => directive.startsWith('script-src'))).toEqual([]);
    expect(PAGE_CSP).not.toMatch(/'unsafe-inline'|'unsafe-eval'|https?:|\*/);
  });
});

describe('responses', () => {
  test('pageResponse: status, the security headers, HTML with the CSP, and any extra header', () => {
    const response = pageResponse(503, { title: 'Busy', paragraphs: ['Later.'] }, { 'retry-after': '2' });
    expectSecurePage(response, 503);
    expect(response.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.body).toContain('<h1>Busy</h1>');
  });

  test('htmlResponse keeps the security headers whatever the CSP', () => {
    const response = htmlResponse(200, '<p>x</p>', "default-src 'none'");
    expectSecurePage(response, 200);
  });

  test('redirect: the location, the security headers, an empty body, and cookies only when given', () => {
    const withCookie = redirect(302, 'https://tenant.example.test/authorize?x=1', ['a=b; Secure']);
    expectRedirect(withCookie, 302, 'https://tenant.example.test/authorize?x=1');
    expect(withCookie.cookies).toEqual(['a=b; Secure']);
    const withoutCookie = redirect(303, 'https://login.example.test/signed-in');
    expectRedirect(withoutCookie, 303, 'https://login.example.test/signed-in');
    expect(withoutCookie).not.toHaveProperty('cookies');
  });
});
