import { Exit } from "effect"
import { describe, expect, it } from "vitest"
import { decodeEventFields, encodeEventFields, type FailedEvent, type LexEvent, type PipelineEvent } from "../src/events/event.ts"
import { EVENT_TYPES } from "../src/events/streams.ts"

/** The event envelope every stage, dashboard and external reader relies on. */

const ENVELOPE_FIELDS = ["type", "document_id", "version", "correlation_id", "causation_id", "occurred_at", "submitted_at", "data"]

const submission = {
  source: "s3://legal-inbox/2024/lease.pdf",
  project: "acme-litigation",
  filename: "Mietvertrag – Müller.pdf",
  contentType: "application/pdf",
  sha256: "ab".repeat(32),
  priority: 3,
  metadata: { client: "acme", tags: ["nda"], nested: { pages: 12, ok: true, none: null } },
  intakeId: "1700000000000-3"
}

const pipelineEvent = (type: PipelineEvent["type"]): PipelineEvent => ({
  type,
  document_id: "lease-2024.v2:a_1",
  version: 2,
  correlation_id: "batch-42/item-7",
  causation_id: "lexstream:document.submitted/1700000000000-4",
  occurred_at: 1_700_000_000_500,
  submitted_at: 1_700_000_000_000,
  data: {
    submission,
    artifacts: { text: `sha256:${"0".repeat(64)}`, chunks: `sha256:${"1".repeat(64)}` },
    facts: { category: "lease", pageCount: 12, entities: { people: 3 } }
  }
})

const failedEvent = (withSubmission: boolean): FailedEvent => ({
  type: "document.failed",
  document_id: "lease-2024",
  version: 1,
  correlation_id: "lease-2024",
  causation_id: "lexstream:document.chunked/1700000000000-9",
  occurred_at: 1_700_000_001_000,
  submitted_at: 1_700_000_000_000,
  data: {
    stage: "entities",
    reason: "model timed out\nafter 3 attempts",
    deliveries: 3,
    inputStream: "lexstream:document.chunked",
    inputId: "1700000000000-9",
    ...(withSubmission ? { submission } : {})
  }
})

const sampleOf = (type: LexEvent["type"]): LexEvent => (type === "document.failed" ? failedEvent(true) : pipelineEvent(type))

const encoded = (event: LexEvent): Array<string> => {
  const exit = encodeEventFields(event)
  if (Exit.isFailure(exit)) throw new Error(`does not encode: ${String(exit.cause)}`)
  return exit.value
}

const errorOf = <A>(exit: Exit.Exit<A, { readonly _tag: string; readonly message: string }>) => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (!reason || !("error" in reason)) throw new Error(`expected a Fail reason, got ${String(exit.cause)}`)
  return reason.error
}

/** A valid event's fields with one field's value replaced (or removed when `value` is undefined). */
const withField = (name: string, value: string | undefined, base = encoded(pipelineEvent("document.chunked"))) => {
  const out: Array<string> = []
  for (let i = 0; i < base.length; i += 2) {
    if (base[i] !== name) out.push(base[i]!, base[i + 1]!)
    else if (value !== undefined) out.push(name, value)
  }
  return out
}

const dataOf = (fields: ReadonlyArray<string>) => JSON.parse(fields[fields.indexOf("data") + 1]!) as Record<string, unknown>

describe("event encode/decode", () => {
  it("knows eight event types", () => {
    expect(EVENT_TYPES).toHaveLength(8)
  })

  it.each(EVENT_TYPES)("round-trips %s", (type) => {
    const event = sampleOf(type)
    const fields = encoded(event)
    // Flat string fields: one of each envelope field, nothing else.
    expect(fields.every((f) => typeof f === "string")).toBe(true)
    expect(fields.length).toBe(ENVELOPE_FIELDS.length * 2)
    expect(fields.filter((_, i) => i % 2 === 0).sort()).toEqual([...ENVELOPE_FIELDS].sort())
    const value = (name: string) => fields[fields.indexOf(name) + 1]
    expect(value("type")).toBe(type)
    expect(value("version")).toBe(String(event.version))
    expect(value("occurred_at")).toBe(String(event.occurred_at))
    expect(JSON.parse(value("data")!)).toEqual(event.data)

    const decoded = decodeEventFields(fields)
    if (Exit.isFailure(decoded)) throw new Error(`does not decode: ${String(decoded.cause)}`)
    expect(decoded.value).toEqual(event)
    // Stable: decoding then encoding again gives the same fields.
    expect(encoded(decoded.value)).toEqual(fields)
  })

  it("round-trips a failed event without a submission", () => {
    const event = failedEvent(false)
    const decoded = decodeEventFields(encoded(event))
    if (Exit.isFailure(decoded)) throw new Error(`does not decode: ${String(decoded.cause)}`)
    expect(decoded.value).toEqual(event)
    expect("submission" in decoded.value.data).toBe(false)
  })

  it("decodes fields in any order", () => {
    const fields = encoded(pipelineEvent("document.classified"))
    const pairs: Array<[string, string]> = []
    for (let i = 0; i < fields.length; i += 2) pairs.push([fields[i]!, fields[i + 1]!])
    const decoded = decodeEventFields(pairs.reverse().flat())
    expect(Exit.isSuccess(decoded) && decoded.value).toEqual(pipelineEvent("document.classified"))
  })
})

describe("decodeEventFields rejects", () => {
  const submitted = () => encoded(pipelineEvent("document.submitted"))
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, ReadonlyArray<string>]> = [
    ["an unknown type", withField("type", "document.archived"), ["type"]],
    ["an empty type", withField("type", ""), ["type"]],
    ["a missing type", withField("type", undefined), ["type"]],
    ["a missing document_id", withField("document_id", undefined), ["document_id"]],
    ["a document_id with a slash", withField("document_id", "a/b"), ["document_id"]],
    ["version \"0\"", withField("version", "0"), ["version"]],
    ["version \"-1\"", withField("version", "-1"), ["version"]],
    ["version \"abc\"", withField("version", "abc"), ["version"]],
    ["version \"1.5\"", withField("version", "1.5"), ["version"]],
    ["a missing version", withField("version", undefined), ["version"]],
    ["occurred_at \"soon\"", withField("occurred_at", "soon"), ["occurred_at"]],
    ["an empty correlation_id", withField("correlation_id", ""), ["correlation_id"]],
    ["data that is not JSON", withField("data", "{\"submission\":"), ["data"]],
    ["data that is a JSON array", withField("data", "[]"), ["data"]],
    [
      "data missing submission",
      withField("data", JSON.stringify({ artifacts: {}, facts: {} })),
      ["submission"]
    ],
    [
      "data whose submission misses its source",
      withField("data", JSON.stringify({ ...pipelineEvent("document.chunked").data, submission: { ...submission, source: undefined } })),
      ["source"]
    ],
    [
      "data whose priority is not an integer",
      withField("data", JSON.stringify({ ...pipelineEvent("document.chunked").data, submission: { ...submission, priority: "3" } })),
      ["priority"]
    ],
    [
      "data whose metadata is an array",
      withField("data", JSON.stringify({ ...pipelineEvent("document.chunked").data, submission: { ...submission, metadata: [1] } })),
      ["metadata"]
    ],
    [
      "data whose artifacts are not strings",
      withField("data", JSON.stringify({ ...pipelineEvent("document.chunked").data, artifacts: { text: 1 } })),
      ["artifacts"]
    ],
    [
      "a document.failed carrying pipeline data",
      withField("type", "document.failed"),
      ["data"]
    ],
    [
      "a pipeline type carrying failure data",
      withField("type", "document.completed", encoded(failedEvent(true))),
      ["data"]
    ],
    ["an excess field", [...submitted(), "priority", "9"], ["unknown field 'priority'"]],
    ["duplicate field names", [...submitted(), "document_id", "other"], ["duplicate field 'document_id'"]],
    ["an odd field count", [...submitted(), "dangling"], ["odd number"]],
    ["no fields", [], ["type"]]
  ]

  it.each(cases)("%s", (_name, fields, says) => {
    const error = errorOf(decodeEventFields(fields))
    expect(error._tag).toBe("EventValidationError")
    for (const fragment of says) expect(error.message).toContain(fragment)
  })

  it("keeps the fixtures valid apart from the broken field", () => {
    // Guard against the table passing for the wrong reason: the base fields do decode.
    expect(Exit.isSuccess(decodeEventFields(submitted()))).toBe(true)
    expect(Exit.isSuccess(decodeEventFields(encoded(failedEvent(true))))).toBe(true)
    expect(dataOf(submitted())).toHaveProperty("submission")
  })
})

describe("encodeEventFields rejects an invalid event", () => {
  const base = pipelineEvent("document.chunked")
  const invalid: ReadonlyArray<readonly [string, unknown]> = [
    ["an unknown type", { ...base, type: "document.archived" }],
    ["a document_id with a slash", { ...base, document_id: "a/b" }],
    ["an empty document_id", { ...base, document_id: "" }],
    ["version 0", { ...base, version: 0 }],
    ["version 1.5", { ...base, version: 1.5 }],
    ["version NaN", { ...base, version: Number.NaN }],
    ["occurred_at 1.5", { ...base, occurred_at: 1.5 }],
    ["an empty correlation_id", { ...base, correlation_id: "" }],
    ["a missing submission", { ...base, data: { artifacts: {}, facts: {} } }],
    ["metadata that is an array", { ...base, data: { ...base.data, submission: { ...submission, metadata: [] } } }],
    ["a failed event without its stage", { ...failedEvent(true), data: { ...failedEvent(true).data, stage: undefined } }]
  ]

  it.each(invalid)("%s", (_name, event) => {
    const error = errorOf(encodeEventFields(event as LexEvent))
    expect(error._tag).toBe("EventValidationError")
    expect(error.message.length).toBeGreaterThan(0)
  })
})
