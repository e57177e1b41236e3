import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests talk to the real Redis (and later Postgres); some start and kill processes.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
    // Quiet by default: a test's console output (Effect's logger in services tests) is shown only
    // when it fails. LEXSTREAM_TEST_VERBOSE=1 shows everything; LEXSTREAM_TEST_LOG sets the pino
    // level of in-process workers (default error).
    silent: process.env.LEXSTREAM_TEST_VERBOSE ? false : "passed-only"
  }
})
