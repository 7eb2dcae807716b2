// docs/configuration.md is the operator's one list of settings: every variable or secret the code reads
// must be in its table, and the table names nothing the code no longer reads.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

const wrangler = read("wrangler.toml");
/** Bindings (objects, databases, queues, email) are wiring, not settings. */
const bindings = new Set([...wrangler.matchAll(/^\s*(?:name|binding)\s*=\s*"([A-Z][A-Z0-9_]*)"/gm)].map((m) => m[1]!));

/** Every UPPER_CASE name the code reads from its Env, the vars wrangler.toml sets, the secrets src/env.d.ts declares, and the vars the preflight reads. */
function namesTheCodeReads(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles("src")) {
    for (const m of read(file).matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b/g)) names.add(m[1]!);
  }
  for (const m of wrangler.matchAll(/^([A-Z][A-Z0-9_]+)\s*=/gm)) names.add(m[1]!);
  for (const m of wrangler.matchAll(/^\[(?:env\.\w+\.)?vars\.([A-Z][A-Z0-9_]+)\]/gm)) names.add(m[1]!);
  for (const m of read("src/env.d.ts").matchAll(/^\s+([A-Z][A-Z0-9_]+)\??:/gm)) names.add(m[1]!);
  // The production preflight reads [env.production.vars] too (DATA_JURISDICTION_CREATED only there).
  for (const m of read("scripts/lib/production-checks.mjs").matchAll(/\bvars\?\.([A-Z][A-Z0-9_]+)\b/g)) names.add(m[1]!);
  for (const binding of bindings) names.delete(binding);
  names.delete("TEST_MIGRATIONS"); // the tests' own binding (vitest.config.ts)
  return names;
}

/** The first column of the table: `NAME`, or a family `PREFIX_*`. */
function documented(): { names: Set<string>; families: string[] } {
  const cells = [...read("docs/configuration.md").matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1]!);
  const entries = cells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*\*?)`/g)].map((m) => m[1]!));
  return { names: new Set(entries.filter((e) => !e.endsWith("*"))), families: entries.filter((e) => e.endsWith("*")).map((e) => e.slice(0, -1)) };
}

describe("docs/configuration.md", () => {
  const read = namesTheCodeReads();
  const docs = documented();

  it("finds the settings it compares (the scan works)", () => {
    expect(read.has("CONTENT_KEY")).toBe(true);
    expect(read.has("SMS_PROVIDERS")).toBe(true);
    expect(read.has("ORDERS")).toBe(false);
    expect(docs.names.has("ENVIRONMENT")).toBe(true);
  });

  it("lists every setting the code reads", () => {
    const missing = [...read].filter((name) => !docs.names.has(name) && !docs.families.some((prefix) => name.startsWith(prefix)));
    expect(missing).toEqual([]);
  });

  it("lists nothing the code does not read", () => {
    const stale = [...docs.names].filter((name) => !read.has(name));
    expect(stale).toEqual([]);
  });
});
