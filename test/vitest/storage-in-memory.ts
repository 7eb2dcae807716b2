// Workaround: the test runtimes' storage in memory.
// Why: each test file's runtime keeps its Durable Objects' and D1's SQLite files in a new folder under the system's
// temporary directory (that is how storage is isolated per file). On a disk every commit waits for fsync, and a
// registration commits several times; in memory (tmpfs) it does not. An explicit TMPDIR wins.
// Drop when: the pool keeps per-file storage in memory itself (or the machines running the tests have /tmp on tmpfs).
import { existsSync } from "node:fs";

export function storageInMemory(): void {
  if (!process.env.TMPDIR && existsSync("/dev/shm")) process.env.TMPDIR = "/dev/shm";
}
