// LINK Mobility's delivery reports (DR), posted as JSON to the URL registered for our gate. LINK signs
// nothing, so the endpoint takes HTTP Basic credentials (user "linkmobility", password LINK_DR_SECRET,
// or LINK_DR_SECRET_PREVIOUS while a rotation has it set), compared in constant time. A header, unlike a secret path segment, stays out of request logs.
// The report's refId is our shipment id: it reaches its order with no lookup.
import type { Hono } from "hono";
import type { AppEnv } from "../../context";
import { ApiError } from "../../problem";
import { isConfigured } from "../../../providers/choose";
import { LinkDeliveryReport, mapLinkResultCode } from "../../../providers/linkmobility/status-map";
import { acceptAll, reportBodyLimit, secretMatchesAny } from "./http";

export const LINK_DR_PATH = "/webhooks/linkmobility/dr";
export const LINK_DR_USER = "linkmobility";
const MAX_REPORT_BYTES = 16 * 1024;

export function registerLinkMobilityReports(app: Hono<AppEnv>) {
  app.post(LINK_DR_PATH, reportBodyLimit(MAX_REPORT_BYTES), async (c) => {
    const secret = c.env.LINK_DR_SECRET;
    if (!isConfigured(c.env, "sms", "linkmobility") || !secret) throw new ApiError(404, { detail: "No such resource." });

    const credentials = /^Basic\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    let presented: string | null = null;
    try {
      presented = credentials ? atob(credentials) : null;
    } catch {
      presented = null; // not Base64
    }
    const accepted = [secret, c.env.LINK_DR_SECRET_PREVIOUS].map((password) => password && `${LINK_DR_USER}:${password}`);
    if (!(await secretMatchesAny(presented, accepted))) {
      throw new ApiError(401, { detail: "Valid credentials are required.", headers: { "WWW-Authenticate": 'Basic realm="linkmobility", charset="UTF-8"' } });
    }

    if (!/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) throw new ApiError(415, { detail: "Content-Type must be application/json." });
    const parsed = LinkDeliveryReport.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new ApiError(400, { detail: "Not a LINK Mobility delivery report." });
    const { refId, id, resultCode } = parsed.data;

    await acceptAll(c.env, [
      {
        shipmentId: refId,
        providerRef: id,
        outcome: mapLinkResultCode(resultCode),
        dedupeKey: `linkmobility:${id}:${resultCode}`,
        smsProvider: "linkmobility",
        source: `linkmobility ${resultCode}`,
      },
    ]);
    return c.body(null, 200);
  });
}
