// Workaround: a test file's runtime torn down under work still running.
// Why: queue consumers and alarms go on working after a test file ends; when workerd tears that file's runtime
// down under them, vitest reports the closed channel as an unhandled error. That alone is not a failure.
// Drop when: @cloudflare/vitest-pool-workers waits for (or cancels) a runtime's queue consumers and alarms before
// tearing it down, so no EnvironmentTeardownError reaches vitest.

/** vitest's onUnhandledError: false ignores the error. */
export const ignoreTeardownErrors = (error: { name?: string }): boolean => error.name !== "EnvironmentTeardownError";
