// A markdown table (the bench's and the soak's reports). Pure: test/unit/bench/report.test.ts runs it as it is.

/** Rows under a header, each column as wide as its widest cell; a null or undefined cell shows as "–". */
export function markdownTable(header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => (c === null || c === undefined ? "–" : String(c))));
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(cells[0]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.slice(1).map(line)].join("\n");
}
