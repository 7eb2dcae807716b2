// Data residency holds only while one module makes every Durable Object id and stub
// (src/config/durable-objects.ts applies DATA_JURISDICTION there). A method call is invisible to
// dependency-cruiser, so this reads src/ for any other place that makes one.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
const ONE_PLACE = "src/config/durable-objects.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

/** What makes an id or a stub: a namespace's methods, and `.get(` on an upper-case binding (env.ORDERS.get(…)). */
const MAKERS = [/\bidFromName\(/, /\bidFromString\(/, /\bnewUniqueId\(/, /\bgetByName\(/, /\.jurisdiction\(/, /\b[A-Z][A-Z0-9_]+\.get\(/];

function makersIn(text: string): string[] {
  return text.split("\n").flatMap((line, i) => (MAKERS.some((m) => m.test(line)) ? [`${i + 1}: ${line.trim()}`] : []));
}

describe("Durable Object ids and stubs", () => {
  it("are made only in src/config/durable-objects.ts", () => {
    const elsewhere = sourceFiles("src")
      .filter((file) => file !== ONE_PLACE)
      .flatMap((file) => makersIn(readFileSync(join(root, file), "utf8")).map((hit) => `${file}:${hit}`));
    expect(elsewhere).toEqual([]);
  });

  it("the scan sees what it looks for (it finds the one place's own)", () => {
    const own = makersIn(readFileSync(join(root, ONE_PLACE), "utf8"));
    expect(own.some((hit) => hit.includes("idFromName("))).toBe(true);
    expect(own.some((hit) => hit.includes("idFromString("))).toBe(true);
    expect(own.some((hit) => hit.includes(".jurisdiction("))).toBe(true);
    expect(makersIn("  return env.ORDERS.get(env.ORDERS.idFromName(`shipment:${id}`));")).toHaveLength(1);
    expect(makersIn("const stub = env.WEBHOOKS.get(id);")).toHaveLength(1);
    expect(makersIn('const stub = objectByName(env, "ORDERS", name);')).toEqual([]);
  });
});
