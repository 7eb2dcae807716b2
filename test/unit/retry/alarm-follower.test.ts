// The alarm follower on a fake storage that counts its writes: what it sets, and what it leaves alone.
import { describe, expect, it } from "vitest";
import { AlarmFollower, type AlarmStorage } from "../../../src/retry/alarm-follower";

class FakeStorage implements AlarmStorage {
  writes: string[] = [];
  reads = 0;
  constructor(public alarm: number | null = null) {}
  async getAlarm() {
    this.reads++;
    return this.alarm;
  }
  async setAlarm(at: number) {
    this.writes.push(`set ${at}`);
    this.alarm = at;
  }
  async deleteAlarm() {
    this.writes.push("delete");
    this.alarm = null;
  }
}

describe("atOrBefore: set only when earlier", () => {
  it.each([
    // stored alarm, asked for, writes,        alarm after
    [null, 100, ["set 100"], 100],
    [200, 100, ["set 100"], 100],
    [100, 100, [], 100],
    [100, 200, [], 100],
  ])("stored %s, asked %s → %j", async (stored, at, writes, after) => {
    const storage = new FakeStorage(stored);
    await new AlarmFollower(storage).atOrBefore(at);
    expect(storage.writes).toEqual(writes);
    expect(storage.alarm).toBe(after);
  });

  it("reads the stored alarm once, then answers from what it set", async () => {
    const storage = new FakeStorage(500);
    const alarms = new AlarmFollower(storage);
    for (const at of [600, 400, 450, 300, 900]) await alarms.atOrBefore(at);
    expect(storage.reads).toBe(1);
    expect(storage.writes).toEqual(["set 400", "set 300"]);
  });

  it("a read that was in flight while the alarm was set never replaces what was set", async () => {
    const storage = new FakeStorage(null);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    storage.getAlarm = async () => {
      await gate; // the read answers late, with the alarm as it was before the set below
      return null;
    };
    const alarms = new AlarmFollower(storage);
    const later = alarms.atOrBefore(300);
    await alarms.exactly(100);
    release();
    await later;
    expect(storage.alarm).toBe(100);
    expect(storage.writes).toEqual(["set 100"]);
  });
});

describe("fired, exactly, delete", () => {
  it("forgets the alarm once it has fired: the next time asked is set, even a later one", async () => {
    const storage = new FakeStorage(null);
    const alarms = new AlarmFollower(storage);
    await alarms.atOrBefore(100);
    storage.alarm = null; // the runtime fired it
    alarms.fired();
    await alarms.atOrBefore(5_000);
    expect(storage.writes).toEqual(["set 100", "set 5000"]);
    expect(storage.alarm).toBe(5_000);
  });

  it("exactly sets a later time too, deletes for null, and writes nothing when it is already so", async () => {
    const storage = new FakeStorage(null);
    const alarms = new AlarmFollower(storage);
    await alarms.exactly(100);
    await alarms.exactly(100);
    await alarms.exactly(900);
    await alarms.exactly(null);
    await alarms.exactly(null);
    expect(storage.writes).toEqual(["set 100", "set 900", "delete"]);
    expect(storage.alarm).toBeNull();
  });

  it("exactly(null) deletes an alarm it has not seen yet (one set by an earlier instance)", async () => {
    const storage = new FakeStorage(700);
    await new AlarmFollower(storage).exactly(null);
    expect(storage.alarm).toBeNull();
  });

  it("delete always deletes, and the next time asked is set", async () => {
    const storage = new FakeStorage(100);
    const alarms = new AlarmFollower(storage);
    alarms.fired(); // believes none is set, wrongly
    await alarms.delete();
    expect(storage.alarm).toBeNull();
    await alarms.atOrBefore(300);
    expect(storage.alarm).toBe(300);
  });
});
