// The bench build (bench/worker.ts) is the service with metered Durable Objects: wrangler refuses to start
// it when a class of wrangler.toml is not exported, so every class the service exports must be there too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");

it("the bench build exports every Durable Object class the service exports", () => {
  const service = [...read("src/index.ts").matchAll(/^export \{ (\w+) \} from/gm)].map((m) => m[1]!);
  const bench = new Set([...read("bench/worker.ts").matchAll(/^export const (\w+) = meteredClass\(/gm)].map((m) => m[1]!));
  expect(service.length).toBeGreaterThan(5);
  expect(service.filter((name) => !bench.has(name))).toEqual([]);
});
