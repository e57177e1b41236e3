#!/usr/bin/env node
// lexstream runs its TypeScript sources directly (Node >= 22.18 strips types natively).
const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `lexstream needs Node >= 22.18 (this is ${process.version}). Run it through npm, which uses the ` +
      "project's pinned Node: `npx lexstream …` or `npm exec lexstream -- …`.\n"
  )
  process.exit(1)
}
await import("../src/cli/main.ts")
