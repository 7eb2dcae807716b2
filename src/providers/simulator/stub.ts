// The one simulator object that plays every simulated provider (its class: src/simulator/provider-simulator.ts).
import { objectByName } from "../../config/durable-objects";

export function simulatorStub(env: Env) {
  return objectByName(env, "SIMULATOR", "simulator");
}
