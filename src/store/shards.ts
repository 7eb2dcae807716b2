// D1 is sharded by organisation: every organisation's rows and feed live in one database (a binding
// listed in D1_SHARDS). The assignment is recorded the first time an organisation is seen (by the
// ShardDirectory object) and never changes, so adding a shard moves no existing organisation's data;
// new organisations are spread over the shards listed in D1_SHARDS_OPEN (default: all of them), or go
// where ORG_SHARDS pins them (a JSON object, organisation → shard: a large organisation on its own).
import { objectByName } from "../config/durable-objects";

/** The D1 bindings of this deployment, in the configured order. */
export function shardNames(env: Env): string[] {
  const names = listOf(env.D1_SHARDS);
  if (names.length === 0) throw new Error("D1_SHARDS names no D1 binding");
  for (const name of names) database(env, name); // fails at once on a misspelt binding
  return names;
}

/** The shards a new organisation may be placed on. */
export function openShards(env: Env): string[] {
  const all = shardNames(env);
  const open = listOf(env.D1_SHARDS_OPEN);
  const chosen = open.length === 0 ? all : open.filter((name) => all.includes(name));
  if (chosen.length === 0) throw new Error("D1_SHARDS_OPEN names no shard listed in D1_SHARDS");
  return chosen;
}

export function database(env: Env, shard: string): D1Database {
  const binding = (env as unknown as Record<string, unknown>)[shard];
  if (!binding || typeof (binding as D1Database).prepare !== "function") throw new Error(`D1_SHARDS names ${shard}, which is not a D1 binding`);
  return binding as D1Database;
}

/** Where a new organisation goes: its pin in ORG_SHARDS, else a stable hash of its name over the open shards. */
export async function placeOrganisation(env: Env, org: string): Promise<string> {
  const pins = pinnedShards(env);
  if (Object.hasOwn(pins, org)) return pins[org]!;
  return hashOver(org, openShards(env));
}

function pinnedShards(env: Env): Record<string, string> {
  if (!env.ORG_SHARDS) return {};
  const pins = JSON.parse(env.ORG_SHARDS) as unknown;
  const all = shardNames(env);
  if (typeof pins !== "object" || pins === null || Array.isArray(pins) || !Object.values(pins).every((v) => typeof v === "string" && all.includes(v))) {
    throw new Error("ORG_SHARDS must be a JSON object of organisation → a shard listed in D1_SHARDS");
  }
  return pins as Record<string, string>;
}

export async function hashOver(org: string, open: readonly string[]): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(org)));
  const n = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
  return open[n % open.length]!;
}

// An organisation's shard never changes once recorded, so each isolate keeps what it has learnt.
const known = new Map<string, string>();

/** The organisation's shard: from this isolate's memory, else from the directory (which records it). */
export async function shardOf(env: Env, org: string): Promise<string> {
  const cached = known.get(org);
  if (cached) return cached;
  const shard = await objectByName(env, "SHARD_DIRECTORY", "directory").shardOf(org);
  known.set(org, shard);
  return shard;
}

/** The writer object of a shard: the one path by which D1 is written. */
export function shardWriter(env: Env, shard: string) {
  return objectByName(env, "SHARD_WRITER", shard);
}

function listOf(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
