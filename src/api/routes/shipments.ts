// GET /future/shipment/{shipmentId} from the order itself (read-your-write, whatever D1's lag), and the
// status feed from the organisation's D1 shard. Both scoped to the caller's organisation.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { orderStubForShipment } from "../../orders/order-key";
import { FeedEntrySchema, ShipmentSchema } from "../../orders/schemas";
import { database, shardOf } from "../../store/shards";
import { readFeed } from "../../store/shipments";
import { BASE_PATH, type AppEnv } from "../context";
import { ApiError, orUnavailable } from "../problem";
import { isUuid } from "../../encoding/uuid";
import { notFoundResponse, problemResponses } from "../responses";


export function notFound(): never {
  throw ApiError.of("NOT-00003", { detail: "No such shipment for this organisation." });
}

export const MAX_FEED_PAGE = 500;
const READ_FAILED = "A dependency failed; try again shortly.";

const FeedQuerySchema = z.object({
  seq: z.coerce
    .number()
    .int("Must be an integer.")
    .min(0, "Must be 0 or more.")
    .max(Number.MAX_SAFE_INTEGER)
    .default(0)
    .openapi({ description: "Exclusive cursor: the last sequence number seen (0 to start).", example: 0 }),
  pageSize: z.coerce
    .number()
    .int("Must be an integer.")
    .default(MAX_FEED_PAGE)
    .openapi({ description: "1 to 500; a value out of range is clamped.", example: 500 }),
  orderBy: z
    .string()
    .refine((v) => /^(asc|desc)$/i.test(v), "Must be Asc or Desc.")
    .default("Asc")
    .openapi({ description: "Asc (default) or Desc; Desc with seq=0 starts from the newest.", example: "Asc" }),
});

export function registerShipmentRoutes(app: OpenAPIHono<AppEnv>) {
  // Registered before /{shipmentId}, which would otherwise take "feed" as an id.
  app.openapi(
    createRoute({
      operationId: "getShipmentFeed",
      method: "get",
      path: `${BASE_PATH}/future/shipment/feed`,
      summary: "Status feed: the caller's completed shipments in sequence order",
      tags: ["Shipments"],
      security: [{ Bearer: [] }],
      request: { query: FeedQuerySchema },
      responses: {
        200: { description: "One entry per completed shipment; sequence numbers are the caller's own (no other organisation's traffic shows in them) and only grow.", content: { "application/json": { schema: z.array(FeedEntrySchema) } } },
        ...problemResponses,
      },
    }),
    async (c) => {
      const { seq, pageSize, orderBy } = c.req.valid("query");
      const size = Math.min(MAX_FEED_PAGE, Math.max(1, pageSize));
      const order = orderBy.toLowerCase() === "desc" ? "Desc" : "Asc";
      const org = c.get("org");
      const entries = await orUnavailable("feed.read_failed", c.get("traceId"), READ_FAILED, async () =>
        readFeed(database(c.env, await shardOf(c.env, org)), org, seq, size, order),
      );
      return c.json(entries, 200);
    },
  );

  app.openapi(
    createRoute({
      operationId: "getShipment",
      method: "get",
      path: `${BASE_PATH}/future/shipment/{shipmentId}`,
      summary: "Delivery manifest of one shipment",
      tags: ["Shipments"],
      security: [{ Bearer: [] }],
      // Any string is taken here: an id that is not a UUID is simply not found (404), as in Altinn.
      request: { params: z.object({ shipmentId: z.string().openapi({ example: "2d4f1359-2f4b-4a3f-9d0e-5f3b9a6d8c21" }) }) },
      responses: {
        200: { description: "The shipment and its recipient's status.", content: { "application/json": { schema: ShipmentSchema } } },
        ...problemResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { shipmentId } = c.req.valid("param");
      if (!isUuid(shipmentId)) notFound();
      const id = shipmentId.toLowerCase();
      const shipment = await orUnavailable("shipment.read_failed", c.get("traceId"), READ_FAILED, () => orderStubForShipment(c.env, id).manifest(c.get("org"), id));
      return shipment ? c.json(shipment, 200) : notFound();
    },
  );
}
