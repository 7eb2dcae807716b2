// From the changes an order hands its shard writer to the status events its organisation's callback
// object takes: one per applied recipient status change, with the manifest at that status.
import { manifestOf } from "../orders/manifest";
import type { ShipmentChange } from "../store/changes";
import { isFinal } from "../status/transitions";
import { callbackEventId, type CallbackEvent } from "./events";
import { webhookStub } from "./webhook-object";

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

/**
 * Hands each organisation's status events to its callback object, which stores them and sends them on
 * its own. Resolves once every one is stored (or not wanted); a repeat is recognised by its event id.
 */
export async function forwardStatusEvents(env: Env, changes: readonly ShipmentChange[]): Promise<void> {
  const byOrg = new Map<string, CallbackEvent[]>();
  for (const event of callbackEventsOf(changes)) byOrg.set(event.org, [...(byOrg.get(event.org) ?? []), event]);
  await Promise.all([...byOrg].map(([org, events]) => webhookStub(env, org).enqueue(events)));
}
