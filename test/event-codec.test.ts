import { describe, expect, it } from "vitest"
import { Exit } from "effect"
import { decodeEventFields, decodeEventFieldsStrict } from "../src/events/event.ts"
import { validateIntake } from "../src/events/intake.ts"
import { submittedFields } from "./support/events.ts"

/** Replaces (or, with undefined, removes) one field of a valid event. */
const withField = (name: string, value: string | undefined) => {
  const fields = submittedFields("doc-1")
  const out: Array<string> = []
  for (let i = 0; i < fields.length; i += 2) if (fields[i] !== name) out.push(fields[i]!, fields[i + 1]!)
  if (value !== undefined) out.push(name, value)
  return out
}

const cases: Array<[string, Array<string>]> = [
  ["valid", submittedFields("doc-1")],
  ["version 2", withField("version", "2")],
  ["version 0", withField("version", "0")],
  ["version empty", withField("version", "")],
  ["version ' 1'", withField("version", " 1")],
  ["version 1.0", withField("version", "1.0")],
  ["version 0x1", withField("version", "0x1")],
  ["version 1e0", withField("version", "1e0")],
  ["occurred_at empty", withField("occurred_at", "")],
  ["occurred_at negative", withField("occurred_at", "-5")],
  ["submitted_at blank", withField("submitted_at", " ")],
  ["data not JSON", withField("data", "{oops")],
  ["data array", withField("data", "[]")],
  ["data without submission", withField("data", JSON.stringify({ artifacts: {}, facts: {} }))],
  ["facts array", withField("data", JSON.stringify({ submission: { source: "file:///a", project: "p", priority: 5, metadata: {}, intakeId: "1-0" }, artifacts: {}, facts: [] }))],
  ["artifact not a string", withField("data", JSON.stringify({ submission: { source: "file:///a", project: "p", priority: 5, metadata: {}, intakeId: "1-0" }, artifacts: { text: 1 }, facts: {} }))],
  ["unknown type", withField("type", "document.exploded")],
  ["failed type with pipeline data", withField("type", "document.failed")],
  ["document_id with space", withField("document_id", "a b")],
  ["missing correlation_id", withField("correlation_id", undefined)],
  ["__proto__ field", [...submittedFields("doc-1"), "__proto__", "x"]]
]

describe("event codec fast path", () => {
  it.each(cases)("agrees with the full Effect Schema codec: %s", (_name, fields) => {
    const fast = decodeEventFields(fields)
    const strict = decodeEventFieldsStrict(fields)
    expect(Exit.isSuccess(fast)).toBe(Exit.isSuccess(strict))
    if (Exit.isSuccess(fast) && Exit.isSuccess(strict)) expect(fast.value).toEqual(strict.value)
  })

  it("accepts only canonical integers", () => {
    expect(Exit.isSuccess(decodeEventFields(withField("version", "1.0")))).toBe(false)
    expect(Exit.isSuccess(decodeEventFields(withField("occurred_at", "")))).toBe(false)
    expect(Exit.isSuccess(decodeEventFields([...submittedFields("doc-1"), "__proto__", "x"]))).toBe(false)
  })
})

describe("intake strictness", () => {
  const intake = (...pairs: Array<string>) => validateIntake("1-0", pairs.map((p) => Buffer.from(p)), { maxMetadataBytes: 1024 })
  it.each(["", " 5", "5.0", "0x5", "5e0", "10", "-1"])("rejects priority %j", (priority) => {
    const result = intake("source", "file:///a.pdf", "priority", priority)
    expect(Exit.isFailure(result)).toBe(true)
  })
  it("rejects a field named __proto__ as unknown", () => {
    const result = intake("source", "file:///a.pdf", "__proto__", "x")
    expect(Exit.isFailure(result) && result.cause.reasons[0]?._tag === "Fail" && result.cause.reasons[0].error.code).toBe("unknown_field")
  })
})
