import { Exit } from "effect"
import { describe, expect, it } from "vitest"
import {
  ENTRY_BYTES_BEYOND_METADATA,
  MAX_INTAKE_FIELDS,
  MAX_METADATA_DEPTH,
  type RejectionCode,
  validateIntake
} from "../src/events/intake.ts"
import { decodeOverflow, MAX_COPIED_FIELDS, OVERFLOW_FIELD } from "../src/events/rejected-entry.ts"
import { names, readAll, startWorker, testRedis, uniquePrefix, waitFor } from "./support/harness.ts"

/**
 * What a broken or hostile producer sends: thousands of fields, metadata nested ten thousand deep,
 * credentials in the source, a NUL in a file path. Each is rejected at once with a reason code; the
 * rejected entry stays bounded; the worker keeps going.
 */

const LIMITS = { maxMetadataBytes: 64 * 1024 }
const SOURCE = "file:///data/contracts/lease.pdf"

const rejectionOf = (fields: ReadonlyArray<string | Buffer>): { code: RejectionCode; message: string } => {
  const exit = validateIntake("1700000000000-0", fields.map((f) => (typeof f === "string" ? Buffer.from(f) : f)), LIMITS)
  if (Exit.isSuccess(exit)) throw new Error(`expected a rejection, got ${JSON.stringify(exit.value)}`)
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (!reason || !("error" in reason)) throw new Error(`expected a Fail reason, got ${String(exit.cause)}`)
  return reason.error
}
const isAccepted = (fields: ReadonlyArray<string>) => Exit.isSuccess(validateIntake("1-1", fields.map((f) => Buffer.from(f)), LIMITS))

const manyFields = (n: number): Array<string> => {
  const fields = ["source", SOURCE]
  for (let i = 0; i < n; i++) fields.push(`x${i}`, "v")
  return fields
}
const nested = (depth: number) => `{"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`

describe("validateIntake against a hostile producer", () => {
  it("rejects an entry with more fields than the limit as too_large (and says the limit)", () => {
    const rejection = rejectionOf(manyFields(4_100))
    expect(rejection.code).toBe("too_large")
    expect(rejection.message).toContain(`4101 fields; the limit is ${MAX_INTAKE_FIELDS}`)
    // At the limit it is judged on its content (here: unknown fields).
    expect(rejectionOf(manyFields(MAX_INTAKE_FIELDS - 1)).code).toBe("unknown_field")
  })

  it("bounds the whole entry's bytes", () => {
    const fields = ["source", SOURCE]
    for (let i = 0; i < 30; i++) fields.push(`x${i}`, "v".repeat(7_000))
    const rejection = rejectionOf(fields)
    expect(rejection.code).toBe("too_large")
    expect(rejection.message).toContain(`the limit is ${LIMITS.maxMetadataBytes + ENTRY_BYTES_BEYOND_METADATA}`)
  })

  it("rejects metadata nested deeper than the limit before parsing it, without overflowing the stack", () => {
    const deep = nested(10_000)
    expect(deep.length).toBeLessThan(LIMITS.maxMetadataBytes)
    const rejection = rejectionOf(["source", SOURCE, "metadata", deep])
    expect(rejection.code).toBe("invalid_field")
    expect(rejection.message).toContain(`deeper than ${MAX_METADATA_DEPTH} levels`)
    expect(isAccepted(["source", SOURCE, "metadata", nested(MAX_METADATA_DEPTH)])).toBe(true)
    expect(rejectionOf(["source", SOURCE, "metadata", nested(MAX_METADATA_DEPTH + 1)]).code).toBe("invalid_field")
    // Brackets inside strings (escaped quotes included) are text, not nesting.
    expect(isAccepted(["source", SOURCE, "metadata", JSON.stringify({ note: `say \"${"[{".repeat(500)}` })])).toBe(true)
  })

  it("turns anything unexpected while validating into a rejection instead of throwing", () => {
    const rejection = rejectionOf(["source", null as unknown as Buffer])
    expect(rejection.code).toBe("invalid_field")
    expect(rejection.message).toContain("could not be validated")
  })

  it.each([
    "http://alice:SECRET@docs.example.com/ok.txt?X-Amz-Signature=SIGVALUE",
    "https://alice@docs.example.com/ok.txt",
    "https://:SECRET@docs.example.com/ok.txt",
    "s3://AKIDALICE:SECRET@filings/a.pdf"
  ])("rejects credentials in source %s without echoing them", (source) => {
    const rejection = rejectionOf(["source", source])
    expect(rejection.code).toBe("invalid_field")
    expect(rejection.message).toContain("must not contain credentials")
    for (const secret of ["SECRET", "SIGVALUE", "alice", "ALICE"]) expect(rejection.message).not.toContain(secret)
  })

  it("rejects a NUL (%00) in a file path, and keeps %00 legal where it is not a path (an S3 key is verbatim)", () => {
    const rejection = rejectionOf(["source", "file:///data/a%00.pdf"])
    expect(rejection.code).toBe("invalid_field")
    expect(rejection.message).toContain("NUL")
    expect(isAccepted(["source", "s3://bucket/odd%00key.pdf"])).toBe(true)
  })
})

describe("intake stage on a real Redis, against a hostile producer", () => {
  const { redis, track } = testRedis()

  it("rejects each at once with a reason code, keeps the rejected entry bounded and lossless, and carries on", async () => {
    const prefix = track(uniquePrefix("intake-hostile"))
    const stream = names(prefix)
    const worker = await startWorker({ prefix, stages: ["intake"] })
    try {
      const wide = manyFields(4_100)
      const wideId = (await redis.xadd(stream.intake, "*", ...wide))!
      const deepId = (await redis.xadd(stream.intake, "*", "source", SOURCE, "metadata", nested(10_000)))!
      const secretId = (await redis.xadd(stream.intake, "*", "source", "http://alice:SECRET@docs.example.com/ok.txt?X-Amz-Signature=SIGVALUE"))!
      const nulId = (await redis.xadd(stream.intake, "*", "source", "file:///data/a%00.pdf"))!
      const goodId = (await redis.xadd(stream.intake, "*", "source", SOURCE, "document_id", "still-fine"))!

      const submitted = await waitFor("the good entry after the hostile ones", async () =>
        (await readAll(redis, stream.event("document.submitted"))).find((entry) => entry.document_id === "still-fine"))
      expect(submitted.causation_id).toBe(`${stream.intake}/${goodId}`)
      const rejected = await waitFor("four rejections", async () => {
        const entries = await redis.xrangeBuffer(stream.rejected, "-", "+")
        return entries.length >= 4 && entries
      })
      const byIntake = new Map(rejected.map(([, flat]) => {
        const strings = flat.map((b) => b.toString("utf8"))
        return [strings[5]!, { flat, code: strings[1]!, reason: strings[3]! }] as const
      }))
      expect(byIntake.get(wideId)?.code).toBe("too_large")
      expect(byIntake.get(deepId)?.code).toBe("invalid_field")
      expect(byIntake.get(deepId)?.reason).toContain("deeper than")
      expect(byIntake.get(secretId)?.code).toBe("invalid_field")
      expect(byIntake.get(secretId)?.reason).not.toMatch(/SECRET|SIGVALUE|alice/)
      expect(byIntake.get(nulId)?.code).toBe("invalid_field")

      // Bounded: header, the first MAX_COPIED_FIELDS pairs, one overflow field; nothing lost.
      const flat = byIntake.get(wideId)!.flat
      expect(flat.length).toBe(8 + MAX_COPIED_FIELDS * 2 + 2)
      const copied = flat.slice(8, 8 + MAX_COPIED_FIELDS * 2)
      expect(copied.map((b, i) => (i % 2 === 0 ? b.toString().replace(/^field\./, "") : b.toString()))).toEqual(wide.slice(0, MAX_COPIED_FIELDS * 2))
      expect(flat.at(-2)!.toString()).toBe(OVERFLOW_FIELD)
      expect(decodeOverflow(flat.at(-1)!).map(String)).toEqual(wide.slice(MAX_COPIED_FIELDS * 2))

      // Nothing retried, parked or left pending.
      expect(await redis.xlen(stream.deadLetter)).toBe(0)
      expect(Number((await redis.xpending(stream.intake, "intake"))[0])).toBe(0)
      expect(await redis.xlen(stream.rejected)).toBe(4)
    } finally {
      await worker.stop()
    }
  })
})
