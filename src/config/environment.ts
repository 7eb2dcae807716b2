// Where the service runs, from ENVIRONMENT. Only "local" (wrangler.toml's top level: `npm start` and the
// tests) turns on what must never run in a deployment: the provider simulator as a provider, its
// controls (/simulator/…) and the message outbox (/outbox), and status-callback URLs to loopback over
// http. Every other value is treated as a deployment, a misspelt "Production" or a missing one
// included: a typo closes the local-only parts rather than opening them. (The production preflight,
// scripts/production-config.mjs, also refuses anything but exactly "production".)

export function isLocal(env: Pick<Env, "ENVIRONMENT">): boolean {
  return env.ENVIRONMENT === "local";
}
