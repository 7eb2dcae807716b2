// Workaround: the libraries, bundled once per run and sent without their source maps.
// Why: each test file starts a runtime that imports the Worker anew, module by module: the libraries, bundled once
// per run into one file each, load in a fraction of the time (hundreds of files fewer). Those bundles reach each
// runtime without their source maps: vitest inlines a module's map into its code, which for these bundles is twice
// the code (zod: 0.65 MB of code, 1.7 MB of map), sent to and parsed by every runtime anew. A stack trace inside a
// library then points into its bundle; the Worker's and the tests' own maps stay.
// Drop when: the pool shares loaded modules between test files' runtimes (then neither the bundling nor the
// dropped maps save anything); `include` must name every library the Worker or a test imports, else it is not bundled.
import type { Plugin } from "vitest/config";

/** The libraries bundled for the runtimes (deps.optimizer.ssr.include). */
export const PREBUNDLED_LIBRARIES = [
  "@hono/zod-openapi", "fast-check", "hono", "hono/body-limit", "hono/cors", "hono/http-exception",
  "html-to-text", "jose", "libphonenumber-js/max", "standardwebhooks", "zod",
];

export const librariesWithoutSourceMaps: Plugin = {
  name: "libraries-without-source-maps",
  transform(code, id) {
    const optimizer = "depsOptimizer" in this.environment ? this.environment.depsOptimizer : undefined;
    if (!optimizer?.isOptimizedDepFile(id)) return;
    // An unchanged code keeps the map it was loaded with: one newline more is a change.
    return { code: `${code}\n`, map: { mappings: "" } };
  },
};
