// The organisation's status-callback object, made where every Durable Object stub is made.
import { objectByName } from "../config/durable-objects";

export const webhookStub = (env: Env, org: string) => objectByName(env, "WEBHOOKS", org);
