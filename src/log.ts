// Structured logs: one JSON line per event. They carry ids, statuses and error names only — never a
// message body, a subject or a full recipient (docs/security.md).

export function log(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ event, ...fields }));
}

export function logError(event: string, error: unknown, fields: Record<string, unknown> = {}): void {
  console.error(JSON.stringify({ event, ...fields, error: describeError(error) }));
}

/** An error's kind and first words: enough to diagnose, bounded so no payload rides along. */
function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Something an operator should see but that does not fail the request (a warning line). */
export function logWarning(event: string, fields: Record<string, unknown> = {}): void {
  console.warn(JSON.stringify({ event, level: "warn", ...fields }));
}
