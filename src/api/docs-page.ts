// A self-contained docs page rendered from the same OpenAPI document (no CDN, works offline).

interface OpenApiDoc {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, { summary?: string; deprecated?: boolean; responses?: Record<string, { description?: string }> }>>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function docsPage(doc: unknown): string {
  const { info, paths = {} } = doc as OpenApiDoc;
  const operations = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(r.description ?? "")}</td></tr>`)
        .join("");
      return `<section${op.deprecated ? ' class="deprecated"' : ""}>
  <h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code>${op.deprecated ? " (deprecated)" : ""}</h2>
  <p>${escapeHtml(op.summary ?? "")}</p>
  <table><tr><th>Status</th><th>Meaning</th></tr>${responses}</table>
</section>`;
    }),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}
.deprecated h2{color:#888}code{font-size:95%}</style></head>
<body><h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${escapeHtml(info.description ?? "")}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a>.</p>
${operations.join("\n")}
</body></html>`;
}
