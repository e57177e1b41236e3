import { sourceError } from "./errors.ts"

/**
 * Reads a byte stream into one Buffer, stopping with `too_large` as soon as it passes `maxBytes`:
 * a declared length can be absent or wrong, so the cap is enforced on what actually arrives.
 */
export const readBounded = async (
  stream: AsyncIterable<Uint8Array | string>,
  maxBytes: number,
  what: string
): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  let total = 0
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    total += bytes.byteLength
    // Leaving the loop early closes the stream (return() on the iterator), which aborts the transfer.
    if (total > maxBytes) throw sourceError("too_large", `${what} is larger than the ${maxBytes}-byte limit`)
    chunks.push(bytes)
  }
  return Buffer.concat(chunks, total)
}
