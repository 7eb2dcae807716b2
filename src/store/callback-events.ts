// From the changes an order hands its shard writer to the status events its organisation's callback
// object takes: one per applied recipient status change, with the manifest at that status. The writer's
// outbox (callback-outbox.ts) forwards them.
import { manifestOf } from "../status/manifest";
import type { ShipmentChange } from "./changes";
import { isFinal } from "../status/transitions";
import { callbackEventId, type CallbackEvent } from "../webhooks/events";

export function callbackEventsOf(changes: readonly ShipmentChange[]): CallbackEvent[] {
  return changes.flatMap((change) =>
    change.kind !== "state"
      ? []
      : change.events
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
            }),
          })),
  );
}
