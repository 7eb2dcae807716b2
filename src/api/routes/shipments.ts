// GET /future/shipment/{shipmentId}: read from D1, scoped to the caller's organisation.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { ShipmentSchema } from "../../orders/schemas";
import { readShipment } from "../../store/shipments";
import { BASE_PATH, type AppEnv } from "../context";
import { ApiError } from "../problem";
import { notFoundResponse, problemResponses } from "../responses";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function notFound(): never {
  throw new ApiError(404, { code: "NOT-00003", detail: "No such shipment for this organisation." });
}

export function registerShipmentRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
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
      if (!UUID.test(shipmentId)) notFound();
      const shipment = await readShipment(c.env.DB, c.get("org"), shipmentId.toLowerCase());
      return shipment ? c.json(shipment, 200) : notFound();
    },
  );
}
