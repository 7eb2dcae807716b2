// A continuous pool of outgoing attempts: at most `limit` run at once (Cloudflare: a Durable Object
// invocation holds at most 6 outgoing connections), and one starts as soon as another ends, not in
// batches. Tasks are pulled one at a time when a place is free, so a task is taken (leased) only when
// it starts, and its timeout signal is made then: time spent waiting for a place never counts.

/** One attempt: given its own timeout signal, made when it starts. */
export type Task = (signal: AbortSignal) => Promise<void>;

export class Pool {
  private running = 0;
  private idle: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(
    readonly limit: number,
    private readonly timeoutMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** How many tasks run now (never more than `limit`). */
  get inFlight(): number {
    return this.running;
  }

  /**
   * Starts tasks taken from `next` (null: none now) while fewer than `limit` run; each one that ends
   * asks `next` for another. Resolves once no task runs.
   */
  fill(next: () => Task | null): Promise<void> {
    while (this.running < this.limit) {
      const task = next();
      if (!task) break;
      this.start(task, next);
    }
    if (this.running === 0) return Promise.resolve();
    if (!this.idle) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.idle = { promise, resolve };
    }
    return this.idle.promise;
  }

  private start(task: Task, next: () => Task | null) {
    this.running++;
    const ended = () => {
      this.running--;
      void this.fill(next);
      if (this.running === 0 && this.idle) {
        this.idle.resolve();
        this.idle = null;
      }
    };
    let run: Promise<void>;
    try {
      run = task(AbortSignal.timeout(this.timeoutMs));
    } catch (error) {
      run = Promise.reject(error);
    }
    run.catch(this.onError).finally(ended);
  }
}
