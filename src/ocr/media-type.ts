/**
 * The media type of a document from its first bytes. The producer's declared content type and
 * file name are hints for error messages only: a `.pdf` that is really a ZIP is a ZIP.
 */
export type DetectedMediaType = "application/pdf" | "image/png" | "image/jpeg" | "image/tiff" | "text/plain"

const startsWith = (bytes: Uint8Array, signature: ReadonlyArray<number>, offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte)

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0))

/** Formats recognised only to say clearly that they are not supported. */
const UNSUPPORTED: ReadonlyArray<readonly [string, ReadonlyArray<number>]> = [
  ["application/zip (DOCX, XLSX, ODT or another ZIP container)", [0x50, 0x4b, 0x03, 0x04]],
  ["application/x-ole-storage (legacy Microsoft Office: DOC, XLS, MSG)", [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]],
  ["application/rtf", ascii("{\\rtf")],
  ["image/gif", ascii("GIF8")],
  ["image/bmp", ascii("BM")],
  ["application/gzip", [0x1f, 0x8b]]
]

/** PDF readers accept junk before the header; so does pdf.js, within the first KiB. */
const findPdfHeader = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).indexOf("%PDF-") >= 0

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The text of `bytes` if they are valid UTF-8 with no NUL (binary formats nearly always have one). */
export const decodePlainText = (bytes: Uint8Array): string | undefined => {
  if (bytes.includes(0)) return undefined
  try {
    return utf8.decode(bytes) // drops a leading BOM
  } catch {
    return undefined
  }
}

export const detectMediaType = (bytes: Uint8Array): DetectedMediaType | undefined => {
  if (findPdfHeader(bytes)) return "application/pdf"
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png"
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg"
  if (startsWith(bytes, ascii("II*\0")) || startsWith(bytes, ascii("MM\0*"))) return "image/tiff"
  if (!startsWith(bytes, ascii("{\\rtf")) && decodePlainText(bytes) !== undefined) return "text/plain"
  return undefined
}

/** What an unsupported document looks like, for its error message. */
export const describeUnsupported = (bytes: Uint8Array): string => {
  const known = UNSUPPORTED.find(([, signature]) => startsWith(bytes, signature))
  if (known) return known[0]
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(" ")
  return `unknown (first bytes ${head})`
}
