// What the service's own HTML pages (/docs, /outbox) share: escaping and a strict Content-Security-Policy.

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * A page's nonce and its policy: only the page's own inline script (by nonce) and this origin's files run,
 * the page talks only to this origin, and nothing frames it. Inline styles stay allowed (Swagger UI sets them).
 */
export function pagePolicy(): { nonce: string; csp: string } {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { nonce, csp };
}
