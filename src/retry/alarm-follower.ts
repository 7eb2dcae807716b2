// The one alarm bookkeeping of every Durable Object: the alarm time this instance last set, so a call
// that does not move it earlier writes nothing (each setAlarm is a billed write). The alarm is each
// object's retry of last resort: it may fire early (the object then finds nothing due and follows the
// next time); it must never fire late.

/** The part of DurableObjectStorage the follower uses (a fake in its tests). */
export interface AlarmStorage {
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

export class AlarmFollower {
  /** The alarm as this instance last set or read it: null none, undefined not known yet. */
  private at: number | null | undefined;

  constructor(private readonly storage: AlarmStorage) {}

  /**
   * Reads the stored alarm once per instance. A caller that awaits this first (e.g. in its constructor's
   * blockConcurrencyWhile) gets `atOrBefore` synchronous up to the write, as `exactly` always is.
   */
  async ready(): Promise<void> {
    if (this.at !== undefined) return;
    const stored = await this.storage.getAlarm();
    this.at ??= stored; // a call that set it meanwhile knows better than this read
  }

  /** The alarm fires no later than `at` (null: nothing asked): set only when none is set or the one set is later. */
  atOrBefore(at: number | null): Promise<void> {
    if (at === null) return Promise.resolve();
    if (this.at === undefined) return this.ready().then(() => this.atOrBefore(at));
    if (this.at !== null && this.at <= at) return Promise.resolve();
    this.at = at;
    return this.storage.setAlarm(at);
  }

  /**
   * The alarm at exactly `at` (null: none), set or deleted only when that differs from the one set.
   * Synchronous up to the write, so a caller that computes `at` from what it just stored keeps the
   * alarm committed with that change.
   */
  exactly(at: number | null): Promise<void> {
    if (at === this.at) return Promise.resolve();
    this.at = at;
    return at === null ? this.storage.deleteAlarm() : this.storage.setAlarm(at);
  }

  /** The alarm has fired (the first line of `alarm()`): none is set any more. */
  fired(): void {
    this.at = null;
  }

  /** No alarm, whatever this instance believed (the object's storage is about to be erased). */
  delete(): Promise<void> {
    this.at = null;
    return this.storage.deleteAlarm();
  }
}
