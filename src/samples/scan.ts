import { existsSync } from "node:fs"
import { createCanvas, GlobalFonts } from "@napi-rs/canvas"
import type { ScanLine } from "./documents.ts"

/**
 * Renders lines of text the way a flatbed scan of a printed page looks: black serif text on white
 * at 200 DPI, a slight skew and a sprinkle of specks. Deterministic: the specks come from a seeded
 * generator, so the same input gives the same PNG bytes (on the same fonts).
 */

export const SCAN_DPI = 200
const PAGE_INCHES = { width: 8.5, height: 11 }
const SKEW_DEGREES = 0.35
const SPECKS = 150

// A serif face as on a printed filing; DejaVu ships with most Linux images, Liberation with many.
const FONT_CANDIDATES = [
  { regular: "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", bold: "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf" },
  { regular: "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf", bold: "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf" }
]
const FAMILY = "LexstreamScanSerif"
const BOLD_FAMILY = "LexstreamScanSerifBold"

const registerFonts = () => {
  if (GlobalFonts.has(FAMILY)) return
  const found = FONT_CANDIDATES.find((candidate) => existsSync(candidate.regular) && existsSync(candidate.bold))
  if (!found) {
    throw new Error(`no serif font for the scanned sample; looked for ${FONT_CANDIDATES.map((c) => c.regular).join(", ")} (see fc-list)`)
  }
  GlobalFonts.registerFromPath(found.regular, FAMILY)
  GlobalFonts.registerFromPath(found.bold, BOLD_FAMILY)
}

/** mulberry32: a small seeded generator, so the "noise" is the same on every run. */
const seededRandom = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** A US Letter page with the lines set in 12 pt type, as PNG bytes at SCAN_DPI. */
export const renderScannedPage = (lines: ReadonlyArray<ScanLine>): Buffer => {
  registerFonts()
  const px = (points: number) => (points * SCAN_DPI) / 72
  const width = Math.round(PAGE_INCHES.width * SCAN_DPI)
  const height = Math.round(PAGE_INCHES.height * SCAN_DPI)
  const canvas = createCanvas(width, height)
  const ctx = canvas.getContext("2d")
  ctx.fillStyle = "#ffffff"
  ctx.fillRect(0, 0, width, height)

  ctx.save()
  ctx.translate(width / 2, height / 2)
  ctx.rotate((SKEW_DEGREES * Math.PI) / 180)
  ctx.translate(-width / 2, -height / 2)
  ctx.fillStyle = "#161616"
  ctx.textBaseline = "alphabetic"
  const margin = px(72)
  const tab = px(36)
  let y = px(72 + 12)
  for (const line of lines) {
    ctx.font = `${px(12)}px ${line.bold ? BOLD_FAMILY : FAMILY}`
    const x = line.center ? (width - ctx.measureText(line.text).width) / 2 : margin + (line.indent ?? 0) * tab
    if (line.text !== "") ctx.fillText(line.text, x, y)
    y += px(line.text === "" ? 10 : 19)
  }
  ctx.restore()

  const random = seededRandom(20250530)
  ctx.fillStyle = "#2a2a2a"
  for (let i = 0; i < SPECKS; i++) {
    const size = 1 + Math.floor(random() * 2)
    ctx.fillRect(Math.floor(random() * width), Math.floor(random() * height), size, size)
  }
  return canvas.toBuffer("image/png")
}
