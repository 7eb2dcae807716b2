// The API reference at /docs: Swagger UI (served from static/, no CDN, works offline) over /openapi.json,
// and one anchor per problem code, so a problem's help link (`Link: </docs#problem-NOT-10001>; rel="help"`)
// lands on its meaning.

import { escapeHtml, pagePolicy } from "./html";

export const SWAGGER_UI_PATH = "/docs/swagger-ui";

/** The page and its Content-Security-Policy. */
export function docsPage(title: string, problemCodes: Record<string, string>, problemTitles: Record<string, string>): { html: string; csp: string } {
  const { nonce, csp } = pagePolicy();
  const problems = Object.entries(problemCodes)
    .map(([code, text]) => `<dt id="problem-${escapeHtml(code)}"><code>${escapeHtml(code)}</code> ${escapeHtml(problemTitles[code] ?? "")}</dt><dd>${escapeHtml(text)}</dd>`)
    .join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${SWAGGER_UI_PATH}/swagger-ui.css">
<style>body{margin:0;font-family:system-ui,sans-serif}
#problems{max-width:1460px;margin:0 auto 3rem;padding:0 20px;color:#3b4151}
#problems dt{margin-top:1rem;font-weight:600}#problems dt:target{background:#fff3c4}
#problems dd{margin:.25rem 0 0 1.5rem}</style></head>
<body>
<div id="swagger-ui"><noscript><p>The API reference needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</p></noscript></div>
<section id="problems">
<h2>Problem codes</h2>
<p>Every error is <code>application/problem+json</code> (RFC 9457). A problem with a <code>code</code> has the <code>type</code>
<code>urn:altinn:error:&lt;code&gt;</code>, the code's own <code>title</code>, and a <code>Link: &lt;/docs#problem-&lt;code&gt;&gt;; rel="help"</code>
header that lands here. Errors without a code link their HTTP status in RFC 9110.</p>
<dl>
${problems}
</dl>
</section>
<script src="${SWAGGER_UI_PATH}/swagger-ui-bundle.js"></script>
<script nonce="${nonce}">
SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: false,
  docExpansion: "list",
  defaultModelsExpandDepth: 2,
  displayOperationId: true,
  tryItOutEnabled: true,
  // A problem's help link (#problem-…) names an anchor below the reference, which renders later.
  onComplete: () => { if (location.hash.startsWith("#problem-")) document.getElementById(location.hash.slice(1))?.scrollIntoView(); },
});
</script>
</body></html>`;
  return { html, csp };
}
