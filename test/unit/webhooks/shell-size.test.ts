// The callback object is a shell around its pure decisions (docs/architecture.md): small enough to read
// in one sitting. A decision or a SQL string that creeps back into it makes it grow past these bounds.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

it("the callback object's shell has at most 160 lines of at most 120 columns, comments included", () => {
  const lines = readFileSync(join(import.meta.dirname, "..", "..", "..", "src/webhooks/webhook-object.ts"), "utf8").trimEnd().split("\n");
  expect(lines.length).toBeLessThanOrEqual(160);
  expect(lines.map((line, i) => [i + 1, line.length]).filter(([, width]) => width! > 120)).toEqual([]);
});
