// Copies the API reference's browser files (Swagger UI, pinned in package.json) from node_modules into
// static/, the Workers static-assets directory ([assets] in wrangler.toml), so /docs works with no
// internet. Run by `npm start`, `npm run deploy` and vitest.config.ts; static/ is git-ignored.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"];

export function buildStatic() {
  const source = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const target = join(root, "static/docs/swagger-ui");
  mkdirSync(target, { recursive: true });
  for (const file of FILES) copyFileSync(join(source, file), join(target, file));
}

if (import.meta.url === `file://${process.argv[1]}`) buildStatic();
