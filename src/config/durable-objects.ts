// Every Durable Object id and stub of the Worker is made here, and only here (test/unit/config/durable-objects-one-place.test.ts
// greps src/ for any other), so the data-residency setting DATA_JURISDICTION applies to every object or none.
// With DATA_JURISDICTION = "eu" each namespace is `namespace.jurisdiction("eu")`: the objects are created and
// run in the EU, and their ids differ from the plain namespace's (docs/operations.md, "Data residency").
//
// workerd cannot honour a jurisdiction ("not implemented"), so locally (ENVIRONMENT "local") this falls
// back to the plain namespace and says so once per isolate. Anywhere else a failure throws
// JurisdictionUnavailable: the API answers 503 NOT-00004, a queue message or an alarm is retried. Never a
// silent fallback: an object made outside the jurisdiction would hold its data there for good.
import { logError, logWarning } from "../log";
import { isLocal } from "./environment";

/** The jurisdictions DATA_JURISDICTION accepts (unset or empty: none). */
const JURISDICTIONS = ["eu"] as const;
type Jurisdiction = (typeof JURISDICTIONS)[number];

/** The names of the Worker's Durable Object bindings. */
export type ObjectBinding = {
  [K in keyof Env]-?: Env[K] extends DurableObjectNamespace<infer _> ? K : never;
}[keyof Env];

type StubOf<K extends ObjectBinding> = Env[K] extends DurableObjectNamespace<infer T> ? DurableObjectStub<T> : never;

/** The configured jurisdiction could not be used (or is not one): nothing may be made outside it. */
export class JurisdictionUnavailable extends Error {
  override name = "JurisdictionUnavailable";
}

/** DATA_JURISDICTION as a jurisdiction, undefined when unset or empty; any other value is refused. */
export function dataJurisdiction(env: Pick<Env, "DATA_JURISDICTION">): Jurisdiction | undefined {
  const value = env.DATA_JURISDICTION ?? "";
  if (value === "") return undefined;
  if ((JURISDICTIONS as readonly string[]).includes(value)) return value as Jurisdiction;
  throw new JurisdictionUnavailable(`DATA_JURISDICTION must be unset, empty or one of ${JURISDICTIONS.join(", ")}; it is ${JSON.stringify(value)}`);
}

let fallbackWarned = false;

/** The namespace every id and stub of `binding` comes from: the jurisdiction's when one is set. */
function namespaceOf<K extends ObjectBinding>(env: Env, binding: K): Env[K] {
  const namespace = env[binding];
  let jurisdiction: Jurisdiction | undefined;
  try {
    jurisdiction = dataJurisdiction(env);
  } catch (error) {
    logError("data_jurisdiction.invalid", error, { binding });
    throw error;
  }
  if (jurisdiction === undefined) return namespace;
  try {
    return namespace.jurisdiction(jurisdiction) as Env[K];
  } catch (error) {
    if (!isLocal(env)) {
      logError("data_jurisdiction.unavailable", error, { binding, jurisdiction });
      throw new JurisdictionUnavailable(`${binding} could not be placed in the jurisdiction "${jurisdiction}"`, { cause: error });
    }
    if (!fallbackWarned) {
      fallbackWarned = true;
      logWarning("data_jurisdiction.local_fallback", {
        jurisdiction,
        detail: "this runtime cannot place Durable Objects in a jurisdiction; locally every object uses the plain namespace",
      });
    }
    return namespace;
  }
}

/** The object named `name` (e.g. an organisation, a shard, a shipment key). */
export function objectByName<K extends ObjectBinding>(env: Env, binding: K, name: string): StubOf<K> {
  const namespace = namespaceOf(env, binding) as DurableObjectNamespace<never>;
  return namespace.get(namespace.idFromName(name)) as StubOf<K>;
}

/** The id of the object named `name`, as a queue message carries it (`.toString()`). */
export function objectIdByName(env: Env, binding: ObjectBinding, name: string): DurableObjectId {
  return namespaceOf(env, binding).idFromName(name);
}

/** The object whose id is `id` (an id's string form, as a queue message carries it). */
export function objectById<K extends ObjectBinding>(env: Env, binding: K, id: string): StubOf<K> {
  const namespace = namespaceOf(env, binding) as DurableObjectNamespace<never>;
  return namespace.get(namespace.idFromString(id)) as StubOf<K>;
}
