// The one simulator object that plays every simulated provider (its class: src/simulator/provider-simulator.ts).
export function simulatorStub(env: Env) {
  return env.SIMULATOR.get(env.SIMULATOR.idFromName("simulator"));
}
