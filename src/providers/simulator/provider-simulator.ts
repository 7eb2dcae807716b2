import { DurableObject } from "cloudflare:workers";

/** The local provider simulator (implemented with the delivery pipeline). */
export class ProviderSimulator extends DurableObject<Env> {}
