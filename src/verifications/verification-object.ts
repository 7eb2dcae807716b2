// One Durable Object per (organisation, verification key): the verification's system of record.
import { DurableObject } from "cloudflare:workers";

export class VerificationObject extends DurableObject<Env> {}
