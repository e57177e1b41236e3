import { execFileSync } from "node:child_process"
import { crc32, deflateSync } from "node:zlib"
import { createCanvas, GlobalFonts, type SKRSContext2D } from "@napi-rs/canvas"
import { Effect, Layer } from "effect"
import { OcrEngine, type PageImage } from "../../src/ocr/engine.ts"
import { makeTesseractProvider } from "../../src/ocr/tesseract.ts"

/** Generated page images and image bombs for the OCR tests, and a Tesseract engine that records its calls. */

/** A serif font from the machine, registered for canvas drawing. */
export const FONT = (() => {
  let file = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
  try {
    file = execFileSync("fc-match", ["-f", "%{file}", "DejaVu Serif:style=Book"], { encoding: "utf8" }) || file
  } catch {
    // no fontconfig: the usual Debian path
  }
  GlobalFonts.registerFromPath(file, "LexstreamPageFixtureSerif")
  return "LexstreamPageFixtureSerif"
})()

/** A white page of `width` × `height` pixels, with whatever `draw` puts on it in black. */
export const pageCanvas = (width: number, height: number, draw: (ctx: SKRSContext2D) => void = () => {}) => {
  const canvas = createCanvas(width, height)
  const ctx = canvas.getContext("2d")
  ctx.fillStyle = "#fff"
  ctx.fillRect(0, 0, width, height)
  ctx.fillStyle = "#000"
  ctx.strokeStyle = "#000"
  draw(ctx)
  return canvas
}

/** pageCanvas as PNG. */
export const pageImage = (width: number, height: number, draw?: (ctx: SKRSContext2D) => void) =>
  pageCanvas(width, height, draw).encodeSync("png")

/** Lines of text at `fontPx`, from the top left. */
export const writeLines = (lines: ReadonlyArray<string>, fontPx: number, top = fontPx * 2) => (ctx: SKRSContext2D) => {
  ctx.font = `${fontPx}px ${FONT}`
  lines.forEach((line, i) => ctx.fillText(line, fontPx * 1.5, top + i * fontPx * 1.6))
}

/** A handwritten-looking signature: a few thin curves, no letters. */
export const signature = (x: number, y: number) => (ctx: SKRSContext2D) => {
  ctx.lineWidth = 3
  ctx.beginPath()
  ctx.moveTo(x, y)
  ctx.bezierCurveTo(x + 60, y - 90, x + 110, y + 60, x + 170, y - 20)
  ctx.bezierCurveTo(x + 220, y - 80, x + 240, y + 40, x + 320, y - 10)
  ctx.bezierCurveTo(x + 360, y - 40, x + 380, y + 20, x + 440, y)
  ctx.stroke()
}

/** Scanner dust: `count` small grey specks scattered over the page, the same ones every run. */
export const specks = (count: number, width: number, height: number) => (ctx: SKRSContext2D) => {
  ctx.fillStyle = "#666"
  let seed = 12345
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  for (let i = 0; i < count; i++) ctx.fillRect(Math.floor(next() * width), Math.floor(next() * height), 2, 2)
}

const pngChunk = (type: string, data: Buffer) => {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body) >>> 0)
  return Buffer.concat([length, body, crc])
}

/**
 * A PNG whose header claims `width` × `height` 8-bit grey pixels, with only the first rows in its
 * (zlib) body: a few hundred bytes that a decoder would size at width × height before reading on.
 */
export const pngBomb = (width: number, height: number) => {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bits per sample
  header[9] = 0 // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.alloc((width + 1) * 4))),
    pngChunk("IEND", Buffer.alloc(0))
  ])
}

/** A baseline JPEG whose frame header (SOF0) claims `width` × `height` pixels, and nothing else. */
export const jpegBomb = (width: number, height: number) =>
  Buffer.from([
    0xff, 0xd8, // SOI
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // APP0 JFIF
    0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, // SOF0
    0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
    0xff, 0xd9 // EOI
  ])

/** One Tesseract worker, recording every image it is asked to read. */
export const recordingTesseract = () => {
  const seen: Array<PageImage> = []
  const layer = Layer.effect(
    OcrEngine,
    Effect.map(makeTesseractProvider({ workers: 1 }), (provider) =>
      OcrEngine.of({ ...provider, recognize: (image) => Effect.suspend(() => (seen.push(image), provider.recognize(image))) }))
  )
  return { seen, layer }
}
