// The service's structured log lines, as a test sees them.
import { vi } from "vitest";

/** Captures every console.log line from now until the mocks are restored. */
export function captureLogLines(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  return lines;
}

/** A shipment's `registered` and `status` lines, in order, with the fields that tell its story. */
export function shipmentStory(lines: string[], shipmentId: string) {
  return lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((e) => e.shipmentId === shipmentId && (e.event === "registered" || e.event === "status"))
    .map(({ event, status, from, to }) => ({ event, status, from, to }));
}
