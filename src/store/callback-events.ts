// From the changes an order (or a verification) hands its shard writer to the events its organisation's
// callback object takes: one per applied recipient status change, with the manifest at that status,
// and one when a verification ends, with its GET body then. The writer's outbox (callback-outbox.ts)
// forwards them.
import { manifestOf } from "../status/manifest";
import type { ShipmentChange, ShipmentState, VerificationChange } from "./changes";
import { isFinal } from "../status/transitions";
import { callbackEventId, verificationEventId, type CallbackEvent, type ShipmentStatusEvent, type VerificationStatusEvent } from "../webhooks/events";

export function callbackEventsOf(changes: readonly ShipmentChange[]): CallbackEvent[] {
  return changes.flatMap((change): CallbackEvent[] => {
    if (change.kind === "state") return statusEventsOf(change);
    if (change.kind === "verification") return verificationEventsOf(change);
    return [];
  });
}

function statusEventsOf(change: ShipmentState): ShipmentStatusEvent[] {
  return change.events
    .filter((e) => e.applied)
    .map((e) => ({
      eventId: callbackEventId(change.shipmentId, e.seq),
      org: change.org,
      shipmentId: change.shipmentId,
      seq: e.seq,
      status: e.status,
      final: isFinal(e.status),
      at: e.at,
      manifest: manifestOf({
        shipmentId: change.shipmentId,
        sendersReference: change.sendersReference,
        channel: change.channel,
        destination: change.destination,
        status: e.status,
        lastUpdate: e.at,
        verificationId: change.verificationId,
        // The order's own description is of its current status (a message its verification's end kept from being sent).
        statusDescription: e.status === change.recipientStatus ? change.statusDescription : null,
      }),
    }));
}

/** A verification's end, with its view, is one event; its start (and an end without a view) is none. */
function verificationEventsOf(change: VerificationChange): VerificationStatusEvent[] {
  if (change.event === "started" || !change.view) return [];
  return [
    {
      type: "verification.status",
      eventId: verificationEventId(change.verificationId, change.event),
      org: change.org,
      verificationId: change.verificationId,
      status: change.event,
      final: true,
      at: change.at,
      view: change.view,
    },
  ];
}
