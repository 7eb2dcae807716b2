// Numeric settings from the Worker's variables (wrangler.toml [vars]), read the same way by every part.

/** A numeric setting from a variable, or its default when unset or out of range. */
export function setting(value: string | undefined, fallback: number, min: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) && n >= min ? n : fallback;
}

/** How long a final shipment (and so its idempotency key) is kept: RETENTION_DAYS, 90 by default. */
export function retentionMs(env: Pick<Env, "RETENTION_DAYS">): number {
  return setting(env.RETENTION_DAYS, 90, 1) * 24 * 3600 * 1000;
}
