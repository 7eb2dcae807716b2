// Cloudflare's "Durable Object is overloaded" from a chosen method of a Durable Object's stub: the error's
// own shape (an Error with `.overloaded = true`, `.retryable` and `.remote` set), thrown where the stub's
// method would have been called. The other methods reach the real object.
import { env } from "cloudflare:workers";
import { vi } from "vitest";

export const overloadedError = () =>
  Object.assign(new Error("Durable Object is overloaded. Too many requests queued."), { overloaded: true, retryable: false, remote: false });

/**
 * Every stub got from now on throws the overloaded error from `method` (all namespaces share a prototype,
 * so name a method only the intended class has). Answers the calls made to it; vitest's restoreMocks removes it.
 */
export function overloadMethod(method: string): { calls: number } {
  return failMethod(method, overloadedError);
}

/** As overloadMethod, with any error (a failure that is not an overload, to compare). */
export function failMethod(method: string, error: () => Error): { calls: number } {
  const counter = { calls: 0 };
  const namespace = Object.getPrototypeOf(env.ORDERS) as DurableObjectNamespace;
  const get = namespace.get;
  vi.spyOn(namespace, "get").mockImplementation(function (this: DurableObjectNamespace, id, options) {
    const stub = get.call(this, id, options);
    return new Proxy(stub, {
      get(target, prop) {
        if (prop === method) {
          return async () => {
            counter.calls++;
            throw error();
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return value;
      },
    });
  });
  return counter;
}
