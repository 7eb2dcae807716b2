// What an order tells the verification it is a message of (src/verifications/, a layer above, reached
// through its binding): that the message failed, so the fallback email need not wait for its timer.
// Only failures: a delivery costs no call (the verification's timer asks the order if it must).
import { objectByName } from "../config/durable-objects";
import { logError } from "../log";
import type { RecipientStatus } from "../status/statuses";
import { verificationObjectName } from "../status/verification";
import type { NewEvent } from "./decide/state";

const DELIVERED: ReadonlySet<RecipientStatus> = new Set(["SMS_Delivered", "Email_Delivered"]);

/** The failure this decision made final, unless the verification's own end made it. */
export function failureToTell(events: readonly NewEvent[], isFinal: (s: RecipientStatus) => boolean): RecipientStatus | null {
  const e = events.find((e) => e.applied && isFinal(e.status) && !DELIVERED.has(e.status) && e.source !== "verification");
  return e?.status ?? null;
}

/** Best effort: the verification's timer asks the order anyway when this is lost. */
export async function tellVerificationFailed(env: Env, verificationId: string, shipmentId: string, status: RecipientStatus): Promise<void> {
  try {
    await objectByName(env, "VERIFICATIONS", verificationObjectName(verificationId)).messageFailed(shipmentId, status);
  } catch (error) {
    logError("verification.tell_failed", error, { shipmentId });
  }
}
