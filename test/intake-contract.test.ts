import { Exit } from "effect"
import { describe, expect, it } from "vitest"
import { decodeEventFields } from "../src/events/event.ts"
import { derivedDocumentId, INTAKE_FIELDS, type RejectionCode, validateIntake } from "../src/events/intake.ts"
import { names, readAll, startWorker, testRedis, uniquePrefix, waitFor } from "./support/harness.ts"

/**
 * The public intake contract: what producers may XADD, and what they get back when they get it
 * wrong (a `rejected` entry with a reason code, a readable reason and their original bytes).
 */

const MAX_METADATA_BYTES = 1024
const LIMITS = { maxMetadataBytes: MAX_METADATA_BYTES }
const SOURCE = "file:///data/contracts/lease.pdf"

type Field = string | Buffer

interface BadShape {
  readonly name: string
  /** Flat `[name, value, …]` exactly as a producer would XADD them. */
  readonly fields: ReadonlyArray<Field>
  readonly code: RejectionCode
  /** Substrings the reason must contain: it has to tell the producer what to fix. */
  readonly says: ReadonlyArray<string>
}

const withSource = (...rest: Array<Field>): Array<Field> => ["source", SOURCE, ...rest]
const bigMetadata = JSON.stringify({ notes: "x".repeat(MAX_METADATA_BYTES) })

const BAD_SHAPES: ReadonlyArray<BadShape> = [
  { name: "no fields at all", fields: [], code: "no_fields", says: ["no fields", "'source' is required"] },
  { name: "missing source", fields: ["filename", "lease.pdf"], code: "missing_source", says: ["'source'", "missing"] },
  { name: "empty source", fields: ["source", ""], code: "invalid_field", says: ["source", "must not be empty"] },
  {
    name: "source that is not a URI",
    fields: ["source", "just some words"],
    code: "invalid_field",
    says: ["source", "must be an absolute URI", "file:///"]
  },
  {
    name: "unsupported scheme ftp://",
    fields: ["source", "ftp://files.example.com/lease.pdf"],
    code: "invalid_field",
    says: ["source", "scheme 'ftp:' is not supported", "s3:"]
  },
  {
    name: "unsupported scheme javascript:",
    fields: ["source", "javascript:alert(1)"],
    code: "invalid_field",
    says: ["source", "'javascript:' is not supported"]
  },
  {
    name: "source with a control character",
    fields: ["source", "file:///data/lea\u0001se.pdf"],
    code: "invalid_field",
    says: ["source", "control characters"]
  },
  {
    name: "filename with a newline",
    fields: withSource("filename", "lease\n.pdf"),
    code: "invalid_field",
    says: ["filename", "control characters"]
  },
  {
    name: "unknown field (typo 'sorce')",
    fields: ["sorce", SOURCE],
    code: "unknown_field",
    says: ["\"sorce\"", "allowed: source"]
  },
  {
    name: "unknown field next to a valid source",
    fields: withSource("priorty", "3"),
    code: "unknown_field",
    says: ["\"priorty\"", "priority"]
  },
  {
    name: "duplicate field name",
    fields: ["source", SOURCE, "source", "file:///data/other.pdf"],
    code: "duplicate_field",
    says: ["\"source\"", "more than once"]
  },
  {
    name: "non-UTF-8 value",
    fields: withSource("filename", Buffer.from([0xff, 0xfe])),
    code: "not_utf8",
    says: ["\"filename\"", "not valid UTF-8"]
  },
  {
    name: "non-UTF-8 field name",
    fields: withSource(Buffer.from([0xff, 0xfe, 0x00, 0x80]), "value"),
    code: "not_utf8",
    says: ["field #2", "name", "not valid UTF-8"]
  },
  {
    name: "metadata that is not JSON",
    fields: withSource("metadata", "{client: acme"),
    code: "invalid_field",
    says: ["'metadata'", "must be a JSON object"]
  },
  {
    name: "metadata that is a JSON array",
    fields: withSource("metadata", "[1,2,3]"),
    code: "invalid_field",
    says: ["'metadata'", "must be a JSON object"]
  },
  {
    name: "metadata that is a JSON string",
    fields: withSource("metadata", "\"acme\""),
    code: "invalid_field",
    says: ["'metadata'", "must be a JSON object"]
  },
  {
    name: "metadata that is JSON null",
    fields: withSource("metadata", "null"),
    code: "invalid_field",
    says: ["'metadata'", "must be a JSON object"]
  },
  {
    name: "metadata over maxMetadataBytes",
    fields: withSource("metadata", bigMetadata),
    code: "too_large",
    says: ["\"metadata\"", `${Buffer.byteLength(bigMetadata)} bytes`, `limit is ${MAX_METADATA_BYTES}`]
  },
  {
    name: "huge value (over 8 KiB) in filename",
    fields: withSource("filename", "a".repeat(9_000)),
    code: "too_large",
    says: ["\"filename\"", "9000 bytes", "limit is 8192"]
  },
  {
    name: "sha256 of the wrong length",
    fields: withSource("sha256", "abc123"),
    code: "invalid_field",
    says: ["sha256", "64 hexadecimal characters"]
  },
  {
    name: "sha256 that is not hex",
    fields: withSource("sha256", "z".repeat(64)),
    code: "invalid_field",
    says: ["sha256", "64 hexadecimal characters"]
  },
  { name: "priority \"high\"", fields: withSource("priority", "high"), code: "invalid_field", says: ["priority", "integer"] },
  { name: "priority \"10\"", fields: withSource("priority", "10"), code: "invalid_field", says: ["priority", "0 to 9"] },
  { name: "priority \"-1\"", fields: withSource("priority", "-1"), code: "invalid_field", says: ["priority", "0 to 9"] },
  { name: "priority \"1.5\"", fields: withSource("priority", "1.5"), code: "invalid_field", says: ["priority", "integer"] },
  {
    name: "document_id with a slash",
    fields: withSource("document_id", "contracts/lease-1"),
    code: "invalid_field",
    says: ["document_id", "letters, digits"]
  },
  {
    name: "document_id with a space",
    fields: withSource("document_id", "lease 1"),
    code: "invalid_field",
    says: ["document_id", "letters, digits"]
  },
  { name: "empty project", fields: withSource("project", ""), code: "invalid_field", says: ["project"] },
  {
    name: "content_type \"pdf\"",
    fields: withSource("content_type", "pdf"),
    code: "invalid_field",
    says: ["content_type", "media type", "application/pdf"]
  },
  {
    name: "correlation_id over 128 characters",
    fields: withSource("correlation_id", "c".repeat(129)),
    code: "invalid_field",
    says: ["correlation_id", "at most 128"]
  }
]

const toBuffers = (fields: ReadonlyArray<Field>): Array<Buffer> =>
  fields.map((field) => (typeof field === "string" ? Buffer.from(field, "utf8") : field))

const rejectionOf = (exit: Exit.Exit<unknown, { code: RejectionCode; message: string }>) => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a rejection, got ${JSON.stringify(exit.value)}`)
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (!reason || !("error" in reason)) throw new Error(`expected a Fail reason, got ${String(exit.cause)}`)
  return reason.error
}

const acceptedOf = <A>(exit: Exit.Exit<A, { code: RejectionCode; message: string }>): A => {
  if (Exit.isFailure(exit)) throw new Error(`expected acceptance, got ${JSON.stringify(rejectionOf(exit))}`)
  return exit.value
}

describe("validateIntake: bad shapes", () => {
  it("covers every rejection code", () => {
    const codes = new Set(BAD_SHAPES.map((shape) => shape.code))
    expect([...codes].sort()).toEqual(
      ["duplicate_field", "invalid_field", "missing_source", "no_fields", "not_utf8", "too_large", "unknown_field"]
    )
    expect(BAD_SHAPES.length).toBeGreaterThanOrEqual(18)
  })

  it.each(BAD_SHAPES.map((shape) => [shape.name, shape] as const))("rejects %s", (_name, shape) => {
    const rejection = rejectionOf(validateIntake("1700000000000-0", toBuffers(shape.fields), LIMITS))
    expect(rejection.code).toBe(shape.code)
    for (const fragment of shape.says) expect(rejection.message).toContain(fragment)
    // One line: the reason ends up in a stream field, logs and dashboards.
    expect(rejection.message).not.toMatch(/[\r\n]/)
  })

  it("never throws, whatever the bytes", () => {
    const garbage = [
      [Buffer.alloc(0), Buffer.alloc(0)],
      [Buffer.from([0xc3]), Buffer.from("x")],
      [Buffer.from("source"), Buffer.from([0xed, 0xa0, 0x80])], // an encoded surrogate is not UTF-8
      [Buffer.from("metadata"), Buffer.from("{\"a\":1}")],
      [Buffer.from("source"), Buffer.alloc(MAX_METADATA_BYTES * 64, 0x41)]
    ]
    for (const fields of garbage) {
      const exit = validateIntake("1-1", fields, LIMITS)
      expect(Exit.isFailure(exit)).toBe(true)
    }
  })

  it("applies the metadata limit in bytes, inclusive", () => {
    const atLimit = JSON.stringify({ n: "x".repeat(MAX_METADATA_BYTES - Buffer.byteLength(JSON.stringify({ n: "" }))) })
    expect(Buffer.byteLength(atLimit)).toBe(MAX_METADATA_BYTES)
    acceptedOf(validateIntake("1-1", toBuffers(withSource("metadata", atLimit)), LIMITS))
    const overLimit = JSON.stringify({ n: "x".repeat(MAX_METADATA_BYTES + 1 - Buffer.byteLength(JSON.stringify({ n: "" }))) })
    expect(rejectionOf(validateIntake("1-1", toBuffers(withSource("metadata", overLimit)), LIMITS)).code).toBe("too_large")

    // Multi-byte characters count as bytes, not characters.
    const multiByte = JSON.stringify({ n: "é".repeat(MAX_METADATA_BYTES / 2) })
    expect(multiByte.length).toBeLessThan(MAX_METADATA_BYTES)
    expect(rejectionOf(validateIntake("1-1", toBuffers(withSource("metadata", multiByte)), LIMITS)).code).toBe("too_large")
  })
})

describe("validateIntake: good shapes", () => {
  it("accepts a minimal entry and fills in the documented defaults", () => {
    const entryId = "1700000000000-0"
    const accepted = acceptedOf(validateIntake(entryId, toBuffers(["source", SOURCE]), LIMITS))
    expect(accepted.documentId).toBe(derivedDocumentId(entryId))
    expect(accepted.documentId).toMatch(/^doc-[A-Za-z0-9_-]{22}$/)
    expect(accepted.correlationId).toBe(accepted.documentId)
    expect(accepted.submission).toStrictEqual({
      source: SOURCE,
      project: "default",
      priority: 5,
      metadata: {},
      intakeId: entryId
    })
  })

  it("accepts every field set and normalises them", () => {
    const sha = "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"
    const accepted = acceptedOf(validateIntake(
      "1700000000000-7",
      toBuffers([
        "source", "s3://legal-inbox/2024/lease.pdf",
        "document_id", "lease-2024_01.v2:a",
        "project", "acme-litigation",
        "filename", "Mietvertrag – Müller.pdf",
        "content_type", "application/pdf; charset=binary",
        "sha256", sha,
        "priority", "0",
        "metadata", "{\"client\":\"acme\",\"tags\":[\"nda\",\"lease\"],\"pages\":12,\"nested\":{\"ok\":true}}",
        "correlation_id", "batch-42/item-7"
      ]),
      LIMITS
    ))
    expect(accepted).toStrictEqual({
      documentId: "lease-2024_01.v2:a",
      producerNamedId: true,
      correlationId: "batch-42/item-7",
      submission: {
        source: "s3://legal-inbox/2024/lease.pdf",
        project: "acme-litigation",
        filename: "Mietvertrag – Müller.pdf",
        contentType: "application/pdf; charset=binary",
        sha256: sha.toLowerCase(),
        // 0 is a real priority, not "unset".
        priority: 0,
        metadata: { client: "acme", tags: ["nda", "lease"], pages: 12, nested: { ok: true } },
        intakeId: "1700000000000-7"
      }
    })
  })

  it.each(["file:///a.pdf", "s3://bucket/key.pdf", "http://example.com/a.pdf", "https://example.com/a?b=c"])(
    "accepts source %s",
    (source) => {
      expect(acceptedOf(validateIntake("1-1", toBuffers(["source", source]), LIMITS)).submission.source).toBe(source)
    }
  )

  it.each([["0", 0], ["9", 9], ["7", 7]] as const)("accepts priority %s", (raw, priority) => {
    expect(acceptedOf(validateIntake("1-1", toBuffers(withSource("priority", raw)), LIMITS)).submission.priority).toBe(priority)
  })

  it("accepts fields in any order", () => {
    const accepted = acceptedOf(validateIntake("1-1", toBuffers(["priority", "3", "source", SOURCE, "project", "p1"]), LIMITS))
    expect(accepted.submission).toMatchObject({ source: SOURCE, priority: 3, project: "p1" })
  })

  it("derives the document id deterministically from the entry id", () => {
    const a1 = acceptedOf(validateIntake("1700000000000-0", toBuffers(["source", SOURCE]), LIMITS))
    const a2 = acceptedOf(validateIntake("1700000000000-0", toBuffers(["source", "file:///other.pdf"]), LIMITS))
    const b = acceptedOf(validateIntake("1700000000000-1", toBuffers(["source", SOURCE]), LIMITS))
    const c = acceptedOf(validateIntake("1700000000001-0", toBuffers(["source", SOURCE]), LIMITS))
    // A redelivered entry becomes the same document...
    expect(a2.documentId).toBe(a1.documentId)
    // ...and different entries never share one, even with identical content.
    expect(new Set([a1.documentId, b.documentId, c.documentId]).size).toBe(3)
    // An explicit document_id wins over the derived one.
    const explicit = acceptedOf(validateIntake("1700000000000-0", toBuffers(withSource("document_id", "mine")), LIMITS))
    expect(explicit.documentId).toBe("mine")
  })
})

describe("intake stage on a real Redis", () => {
  const { redis, track } = testRedis()

  it("rejects every bad shape with its reason and original bytes, accepts the rest, loses nothing", async () => {
    const prefix = uniquePrefix("intake-contract")
    track(prefix)
    const stream = names(prefix)
    const startedAt = Date.now()
    const worker = await startWorker({ prefix, stages: ["intake"], config: { maxMetadataBytes: MAX_METADATA_BYTES, batchSize: 7 } })
    try {
      // XADD cannot carry an entry without fields, so `no_fields` only exists at the function level.
      const submittable = BAD_SHAPES.filter((shape) => shape.fields.length > 0)
      const badById = new Map<string, BadShape>()
      const goodById = new Map<string, { documentId: string | undefined; fields: ReadonlyArray<string> }>()
      const addGood = async (n: number, documentId?: string) => {
        const fields = ["source", `file:///data/good-${n}.pdf`, "project", "contract-test", ...(documentId ? ["document_id", documentId] : [])]
        const id = (await redis.xadd(stream.intake, "*", ...fields))!
        goodById.set(id, { documentId, fields })
        return id
      }
      let goods = 0
      for (const [i, shape] of submittable.entries()) {
        const id = (await redis.xadd(stream.intake, "*", ...shape.fields))!
        badById.set(id, shape)
        if (i % 5 === 0) {
          // Half with an explicit document_id, half with a derived one.
          await addGood(goods, goods % 2 === 0 ? undefined : `good-${goods}`)
          goods++
        }
      }

      await waitFor("a rejected entry per bad shape and a submitted event per good one", async () => {
        const [rejected, submitted] = await Promise.all([
          redis.xlen(stream.rejected),
          redis.xlen(stream.event("document.submitted"))
        ])
        return rejected >= badById.size && submitted >= goodById.size
      })
      // Nothing more trickles in (no duplicates from redelivery).
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(await redis.xlen(stream.rejected)).toBe(badById.size)
      expect(await redis.xlen(stream.event("document.submitted"))).toBe(goodById.size)

      // Every rejected entry: reason code, readable reason, its intake id, and the original bytes.
      const rejected = await redis.xrangeBuffer(stream.rejected, "-", "+")
      const seen = new Set<string>()
      for (const [, flat] of rejected) {
        const header = flat.slice(0, 8).map((b) => b.toString("utf8"))
        expect(header[0]).toBe("reason_code")
        expect(header[2]).toBe("reason")
        expect(header[4]).toBe("intake_id")
        expect(header[6]).toBe("rejected_at")
        const intakeId = header[5]!
        const shape = badById.get(intakeId)
        expect(shape, `rejected entry for unknown intake id ${intakeId}`).toBeDefined()
        expect(seen.has(intakeId), `${intakeId} rejected twice`).toBe(false)
        seen.add(intakeId)
        expect(header[1], shape!.name).toBe(shape!.code)
        for (const fragment of shape!.says) expect(header[3], shape!.name).toContain(fragment)
        const rejectedAt = Number(header[7])
        expect(rejectedAt).toBeGreaterThanOrEqual(startedAt)
        expect(rejectedAt).toBeLessThanOrEqual(Date.now())

        const copied = flat.slice(8)
        const original = toBuffers(shape!.fields)
        expect(copied.length, shape!.name).toBe(original.length)
        for (let i = 0; i < original.length; i += 2) {
          const expectedName = Buffer.concat([Buffer.from("field."), original[i]!])
          expect(copied[i]!.equals(expectedName), `${shape!.name}: name #${i / 2}`).toBe(true)
          expect(copied[i + 1]!.equals(original[i + 1]!), `${shape!.name}: value of ${original[i]!.toString("hex")}`).toBe(true)
        }
      }
      expect(seen.size).toBe(badById.size)

      // Every good entry became exactly one valid document.submitted, traceable to its intake entry.
      const checkSubmitted = async () => {
        const submitted = await redis.xrange(stream.event("document.submitted"), "-", "+")
        const byIntake = new Map<string, string>()
        for (const [, flat] of submitted) {
          const decoded = decodeEventFields(flat)
          if (Exit.isFailure(decoded)) throw new Error(`document.submitted does not decode: ${String(decoded.cause)}`)
          const event = decoded.value
          expect(event.type).toBe("document.submitted")
          if (event.type === "document.failed") throw new Error("unreachable")
          const intakeId = event.data.submission.intakeId
          expect(byIntake.has(intakeId), `${intakeId} submitted twice`).toBe(false)
          byIntake.set(intakeId, event.document_id)
          const good = goodById.get(intakeId)
          expect(good, `submitted event for unknown intake id ${intakeId}`).toBeDefined()
          expect(event.causation_id).toBe(`${stream.intake}/${intakeId}`)
          expect(event.document_id).toBe(good!.documentId ?? derivedDocumentId(intakeId))
          expect(event.data.submission.source).toBe(good!.fields[1])
          expect(event.data.submission.project).toBe("contract-test")
        }
        expect(byIntake.size).toBe(goodById.size)
      }
      await checkSubmitted()

      const pendingCount = async () => Number((await redis.xpending(stream.intake, "intake"))[0])
      expect(await pendingCount()).toBe(0)
      expect(await redis.xlen(stream.deadLetter)).toBe(0)

      const rejectedMetric = (await worker.metrics.intakeRejected.get()).values
      const expectedByCode = new Map<string, number>()
      for (const shape of badById.values()) expectedByCode.set(shape.code, (expectedByCode.get(shape.code) ?? 0) + 1)
      for (const [code, n] of expectedByCode) {
        expect(rejectedMetric.find((v) => v.labels.reason === code)?.value, code).toBe(n)
      }

      // The worker survived all of it: a good entry sent last is still processed.
      const lastId = await addGood(999, "the-last-one")
      const last = await waitFor("the last good entry", async () => {
        const entries = await readAll(redis, stream.event("document.submitted"))
        return entries.find((entry) => entry.document_id === "the-last-one")
      })
      expect(last.causation_id).toBe(`${stream.intake}/${lastId}`)
      await checkSubmitted()
      expect(await pendingCount()).toBe(0)
      expect(await redis.xlen(stream.rejected)).toBe(badById.size)
    } finally {
      await worker.stop()
    }
  })
})

// Keep the table honest: every allowed field is exercised by at least one good or bad shape.
describe("contract table", () => {
  it("mentions every intake field", () => {
    const mentioned = new Set(BAD_SHAPES.flatMap((shape) => shape.fields.filter((_, i) => i % 2 === 0).map(String)))
    for (const field of INTAKE_FIELDS) expect(mentioned.has(field), field).toBe(true)
  })
})
