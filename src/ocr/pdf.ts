import { createRequire } from "node:module"
import { dirname, join, sep } from "node:path"
import { createCanvas } from "@napi-rs/canvas"
import { Duration, Effect, type Scope } from "effect"
import type { PDFDocumentProxy, PDFPageProxy } from "pdfjs-dist/legacy/build/pdf.mjs"
import { drawsSomething, isBlankBitmap } from "./blank-page.ts"
import { type ExtractionError, extractionError } from "./errors.ts"
import { imageCoverage } from "./page-images.ts"
import { renderDpi } from "./pixel-limits.ts"
import { joinTextItems } from "./text-layer.ts"

type RenderParameters = Parameters<PDFPageProxy["render"]>[0]

const require = createRequire(import.meta.url)
const PDFJS_ROOT = dirname(require.resolve("pdfjs-dist/package.json"))
const folder = (name: string) => join(PDFJS_ROOT, name) + sep

/** Loaded on first use: processes that never read a PDF do not pay for pdf.js. */
let pdfjs: Promise<typeof import("pdfjs-dist/legacy/build/pdf.mjs")> | undefined
const loadPdfjs = () => (pdfjs ??= import("pdfjs-dist/legacy/build/pdf.mjs"))

const describe = (error: unknown) => String((error as Error)?.message ?? error).replace(/\s+/g, " ").trim()

const classifyOpenError = (error: unknown): ExtractionError => {
  const name = (error as Error)?.name
  if (name === "PasswordException") return extractionError("encrypted_pdf", "encrypted PDF: it cannot be opened without a password")
  return extractionError("corrupt_pdf", `corrupt PDF: ${describe(error)}`)
}

export interface PageLayout {
  readonly area: number
  readonly imageCoverage: number
}

/** One page of an open PDF, loaded once for everything asked of it. */
export interface PdfPage {
  /** The page's text layer, joined into lines (empty when the page has none). */
  readonly text: Effect.Effect<string, ExtractionError>
  /** The page's area (PDF units², 1/72 inch) and the share of it that images cover (0..1). */
  readonly layout: Effect.Effect<PageLayout, ExtractionError>
  /** Whether the page draws anything at all (text, images, painted paths): without, it is blank. */
  readonly drawsSomething: Effect.Effect<boolean, ExtractionError>
  /**
   * The page rendered for OCR at the resolution `renderDpi` allows within `ocrMaxPixels` (300 DPI
   * for ordinary pages), as PNG; or, when the bitmap has next to no ink, only the word that it is blank.
   */
  readonly render: (ocrMaxPixels: number) => Effect.Effect<RenderedPage, ExtractionError>
}

export type RenderedPage =
  | { readonly blank: true; readonly dpi: number }
  | { readonly blank: false; readonly dpi: number; readonly png: Buffer }

export interface OpenPdf {
  readonly numPages: number
  /**
   * Page `number` for the length of the scope. Its text, layout and rendering share the one pdf.js
   * page (rendering reuses the operator list the layout read); it is cleaned up when the scope closes,
   * never in between: a page cleaned up between reading its operator list and rendering could wait
   * for image objects that were dropped.
   */
  readonly page: (number: number) => Effect.Effect<PdfPage, ExtractionError, Scope.Scope>
}

/** Longest a page may take to render before the attempt counts as an engine fault (retried). */
const RENDER_TIMEOUT = Duration.minutes(2)

const pdfCall = <A>(number: number, what: string, call: () => Promise<A>) =>
  Effect.tryPromise({
    try: call,
    catch: (error) => extractionError("corrupt_pdf", `corrupt PDF: page ${number} ${what}: ${describe(error)}`)
  })

/**
 * Opens a PDF with pdf.js (legacy build, for Node) for the length of the scope. A PDF that needs a
 * password fails as `encrypted_pdf`; one pdf.js cannot parse fails as `corrupt_pdf`. Both are
 * permanent. (An owner-password-only PDF opens normally: reading it needs no password.) An image
 * inside it larger than `maxImagePixels` is left out, undecoded, by pdf.js.
 */
export const openPdf = (bytes: Uint8Array, maxImagePixels: number): Effect.Effect<OpenPdf, ExtractionError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const { getDocument, OPS, VerbosityLevel } = await loadPdfjs()
        const task = getDocument({
          // A copy: pdf.js may transfer (detach) the buffer it is given.
          data: new Uint8Array(bytes),
          verbosity: VerbosityLevel.ERRORS,
          standardFontDataUrl: folder("standard_fonts"),
          cMapUrl: folder("cmaps"),
          cMapPacked: true,
          wasmUrl: folder("wasm"),
          // pdf.js's WebAssembly image decoders (JBIG2, CCITT fax, JPEG 2000) fetch their module once per
          // process through whichever document is open; if that document closes first, the fetch never
          // answers and every later scan waits for ever. The JavaScript builds load with a plain
          // import, no document involved, and decode a scanned page about as fast.
          useWasm: false,
          iccUrl: folder("iccs"),
          useSystemFonts: false,
          maxImageSize: maxImagePixels,
          stopAtErrors: false
        })
        try {
          return { task, document: await task.promise, ops: OPS }
        } catch (error) {
          await task.destroy()
          throw error
        }
      },
      catch: classifyOpenError
    }),
    // Bounded: closing must not hang the fiber that abandons a stuck document.
    ({ task }) => Effect.promise(() => task.destroy().catch(() => undefined)).pipe(Effect.timeoutOption(Duration.seconds(5)))
  ).pipe(
    Effect.map(({ document, ops }): OpenPdf => ({
      numPages: document.numPages,
      page: (number) =>
        Effect.acquireRelease(pdfCall(number, "loading", () => document.getPage(number)), (page) => Effect.sync(() => page.cleanup())).pipe(
          Effect.map((page): PdfPage => ({
            text: pdfCall(number, "text", async () => joinTextItems((await page.getTextContent()).items)),
            layout: pdfCall(number, "layout", async () => {
              const { width, height } = page.getViewport({ scale: 1 })
              const area = width * height
              return { area, imageCoverage: imageCoverage(await page.getOperatorList(), ops, area) }
            }),
            drawsSomething: pdfCall(number, "operators", async () => drawsSomething(await page.getOperatorList(), ops)),
            render: (ocrMaxPixels) =>
              Effect.flatMap(
                renderDpi(number, page.getViewport({ scale: 1 }), ocrMaxPixels),
                (dpi) =>
                  pdfCall(number, "rendering", async (): Promise<RenderedPage> => {
                    const viewport = page.getViewport({ scale: dpi / 72 })
                    const canvas = createCanvas(Math.max(1, Math.ceil(viewport.width)), Math.max(1, Math.ceil(viewport.height)))
                    // pdf.js types the canvas as a DOM one; @napi-rs/canvas is what it uses itself in Node.
                    await page.render({ canvas: canvas as unknown as RenderParameters["canvas"], viewport }).promise
                    if (isBlankBitmap(canvas, canvas.width, canvas.height)) return { blank: true, dpi }
                    return { blank: false, dpi, png: await canvas.encode("png") }
                  }).pipe(
                    Effect.timeoutOrElse({
                      duration: RENDER_TIMEOUT,
                      orElse: () => Effect.fail(extractionError("engine_failed", `page ${number} took longer than ${Duration.format(RENDER_TIMEOUT)} to render`))
                    })
                  )
              )
          }))
        )
    }))
  )
