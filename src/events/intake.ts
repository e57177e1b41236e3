import { failureMessage } from "../failure-message.ts"
import { createHash } from "node:crypto"
import { Exit, Schema } from "effect"
import { DocumentId, ProjectId, type Submission } from "./event.ts"
import { jsonNestsDeeperThan } from "./json-depth.ts"

/**
 * The public intake contract: one XADD of plain string fields to `<prefix>intake`.
 *   source (required, a file://, s3://, http:// or https:// URI), and optional document_id, project,
 *   filename, content_type, sha256, priority (0-9), metadata (a JSON object), correlation_id.
 * Anything else is rejected with a reason code and a message; nothing here throws.
 */
export const INTAKE_FIELDS = [
  "source", "document_id", "project", "filename", "content_type", "sha256", "priority", "metadata", "correlation_id"
] as const

export const SOURCE_SCHEMES = ["file:", "s3:", "http:", "https:"] as const

export type RejectionCode =
  | "no_fields"
  | "not_utf8"
  | "duplicate_field"
  | "unknown_field"
  | "missing_source"
  | "too_large"
  | "invalid_field"
  /** Set by the intake stage, not here: the document_id was already submitted with the same sha256. */
  | "duplicate_document"

export interface Rejection {
  readonly code: RejectionCode
  readonly message: string
}

export interface AcceptedIntake {
  readonly documentId: string
  /** The producer sent `document_id` (else it is derived from the intake entry id, so never reused). */
  readonly producerNamedId: boolean
  readonly correlationId: string
  readonly submission: Submission
}

const MAX_VALUE_BYTES = 8 * 1024
/** Field pairs an entry may have: the contract has 9, so more is a broken or hostile producer. */
export const MAX_INTAKE_FIELDS = 64
/** The whole entry (names and values) may be this much larger than the metadata limit. */
export const ENTRY_BYTES_BEYOND_METADATA = 128 * 1024
/** Arrays and objects nested in `metadata`, counted from its top-level object as 1. */
export const MAX_METADATA_DEPTH = 32

const boundedText = (max: number) =>
  Schema.String.pipe(
    Schema.check(Schema.isMinLength(1, { message: "must not be empty" })),
    Schema.check(Schema.isMaxLength(max, { message: `must be at most ${max} characters` })),
    // Control characters in names and ids break logs, paths and terminals.
    Schema.check(Schema.isPattern(/^[^\u0000-\u001f\u007f]*$/, { message: "must not contain control characters" }))
  )

const SourceUri = boundedText(4096).pipe(
  Schema.check(Schema.makeFilter((value: string) => {
    if (!URL.canParse(value)) return "must be an absolute URI such as file:///data/a.pdf or s3://bucket/key"
    const url = new URL(value)
    const scheme = url.protocol
    if (!(SOURCE_SCHEMES as ReadonlyArray<string>).includes(scheme)) {
      return `scheme '${scheme}' is not supported (use ${SOURCE_SCHEMES.join(" ")})`
    }
    // Said without echoing the value: it would copy the secret into logs and reasons.
    if (url.username !== "" || url.password !== "") {
      return "must not contain credentials (user:password@); readers get theirs from their own configuration"
    }
    // A file path is percent-decoded: %00 would become a NUL, which no file name can contain.
    if (scheme === "file:" && /%00/.test(value)) return "must not contain a NUL character (%00)"
    return true
  }))
)

// Digits only: Number() would also take "", " 5 ", "0x5" or "5e0".
const Priority = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^[0-9]$/, { message: "must be an integer from 0 to 9" })),
  Schema.decodeTo(Schema.NumberFromString),
  Schema.decodeTo(Schema.Int)
)

const MetadataObject = Schema.fromJsonString(Schema.Record(Schema.String, Schema.Json))

const IntakeFields = Schema.Struct({
  source: SourceUri,
  document_id: Schema.optionalKey(DocumentId),
  project: Schema.optionalKey(ProjectId),
  filename: Schema.optionalKey(boundedText(1024)),
  content_type: Schema.optionalKey(Schema.String.pipe(
    Schema.check(Schema.isPattern(/^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;.*)?$/, {
      message: "must be a media type such as application/pdf"
    }))
  )),
  sha256: Schema.optionalKey(Schema.String.pipe(
    Schema.check(Schema.isPattern(/^[0-9a-fA-F]{64}$/, { message: "must be 64 hexadecimal characters" }))
  )),
  priority: Schema.optionalKey(Priority),
  metadata: Schema.optionalKey(MetadataObject),
  correlation_id: Schema.optionalKey(boundedText(128))
})

const decodeIntakeFields = Schema.decodeUnknownExit(IntakeFields, { errors: "all" })
const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

const reject = (code: RejectionCode, message: string): Exit.Exit<AcceptedIntake, Rejection> =>
  Exit.fail({ code, message })

const printable = (name: string) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)

export interface IntakeLimits {
  readonly maxMetadataBytes: number
}

/**
 * Validates one intake entry's raw fields (binary-safe) and derives the document's identity.
 * Identity is deterministic in the entry id, so a redelivered entry yields the same document.
 * Never throws: anything unexpected while validating is a rejection too.
 */
export const validateIntake = (
  entryId: string,
  fields: ReadonlyArray<Buffer>,
  limits: IntakeLimits
): Exit.Exit<AcceptedIntake, Rejection> => {
  try {
    return validateFields(entryId, fields, limits)
  } catch (error) {
    const message = String((error as Error)?.message ?? error).replace(/\s+/g, " ").slice(0, 200)
    return reject("invalid_field", `the entry could not be validated: ${message}`)
  }
}

const validateFields = (entryId: string, fields: ReadonlyArray<Buffer>, limits: IntakeLimits): Exit.Exit<AcceptedIntake, Rejection> => {
  if (fields.length === 0) return reject("no_fields", "the entry has no fields; 'source' is required")
  if (fields.length % 2 !== 0) return reject("invalid_field", "odd number of field names and values")
  if (fields.length / 2 > MAX_INTAKE_FIELDS) {
    return reject("too_large", `the entry has ${fields.length / 2} fields; the limit is ${MAX_INTAKE_FIELDS}`)
  }
  const maxEntryBytes = limits.maxMetadataBytes + ENTRY_BYTES_BEYOND_METADATA
  const entryBytes = fields.reduce((sum, field) => sum + field.length, 0)
  if (entryBytes > maxEntryBytes) {
    return reject("too_large", `the entry is ${entryBytes} bytes in all; the limit is ${maxEntryBytes}`)
  }
  // No prototype: a field named "__proto__" must be an ordinary (and here unknown) field.
  const record: Record<string, string> = Object.create(null)
  for (let i = 0; i + 1 < fields.length; i += 2) {
    let name: string
    let value: string
    try {
      name = strictUtf8.decode(fields[i]!)
    } catch {
      return reject("not_utf8", `field #${i / 2 + 1} has a name that is not valid UTF-8`)
    }
    const raw = fields[i + 1]!
    const limit = name === "metadata" ? limits.maxMetadataBytes : MAX_VALUE_BYTES
    if (raw.length > limit) {
      return reject("too_large", `field ${printable(name)} is ${raw.length} bytes; the limit is ${limit}`)
    }
    try {
      value = strictUtf8.decode(raw)
    } catch {
      return reject("not_utf8", `field ${printable(name)} is not valid UTF-8 text`)
    }
    if (Object.hasOwn(record, name)) return reject("duplicate_field", `field ${printable(name)} appears more than once`)
    record[name] = value
  }
  const unknown = Object.keys(record).filter((name) => !(INTAKE_FIELDS as ReadonlyArray<string>).includes(name))
  if (unknown.length > 0) {
    return reject(
      "unknown_field",
      `unknown field(s) ${unknown.map(printable).join(", ")}; allowed: ${INTAKE_FIELDS.join(", ")}`
    )
  }
  if (!Object.hasOwn(record, "source")) return reject("missing_source", "the required field 'source' is missing")
  if (record.metadata !== undefined && jsonNestsDeeperThan(record.metadata, MAX_METADATA_DEPTH)) {
    return reject("invalid_field", `field 'metadata' nests arrays and objects deeper than ${MAX_METADATA_DEPTH} levels`)
  }

  const decoded = decodeIntakeFields(record)
  if (Exit.isFailure(decoded)) {
    const message = failureMessage(decoded.cause, "invalid fields")
    if (record.metadata !== undefined && /\["metadata"\]/.test(message)) {
      return reject("invalid_field", `field 'metadata' must be a JSON object: ${message.replace(/\s+/g, " ")}`)
    }
    return reject("invalid_field", message.replace(/\s+/g, " "))
  }
  const accepted = decoded.value
  if (accepted.metadata !== undefined && (typeof accepted.metadata !== "object" || Array.isArray(accepted.metadata))) {
    return reject("invalid_field", "field 'metadata' must be a JSON object")
  }
  const documentId = accepted.document_id ?? derivedDocumentId(entryId)
  return Exit.succeed({
    documentId,
    producerNamedId: accepted.document_id !== undefined,
    correlationId: accepted.correlation_id ?? documentId,
    submission: {
      source: accepted.source,
      project: accepted.project ?? "default",
      ...(accepted.filename !== undefined ? { filename: accepted.filename } : {}),
      ...(accepted.content_type !== undefined ? { contentType: accepted.content_type } : {}),
      ...(accepted.sha256 !== undefined ? { sha256: accepted.sha256.toLowerCase() } : {}),
      priority: accepted.priority ?? 5,
      metadata: accepted.metadata ?? {},
      intakeId: entryId
    }
  })
}

/** A document id for producers that send none: stable for the intake entry, short, URL-safe. */
export const derivedDocumentId = (entryId: string): string =>
  `doc-${createHash("sha256").update(entryId).digest("base64url").slice(0, 22)}`
