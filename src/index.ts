// The Worker: the HTTP API, and (from the delivery pipeline) the queue consumers.
import { newApp } from "./api/app";

export { OrderObject } from "./orders/order-object";
export { ProviderSimulator } from "./providers/simulator/provider-simulator";

const app = newApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
