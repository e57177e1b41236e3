/**
 * How much of a PDF page its images cover, read from the page's operator list (pdf.js
 * `getOperatorList()`): a scanned page is one image (or a few strips) over the whole page, a typeset
 * page has none or a small logo. Text drawn over a scan (an ECF filing stamp, a Bates number) does
 * not change that.
 */

/** The pdf.js operator codes this module reads (`OPS` of pdfjs-dist). */
export interface ImageOps {
  readonly save: number
  readonly restore: number
  readonly transform: number
  readonly paintFormXObjectBegin: number
  readonly paintFormXObjectEnd: number
  readonly paintImageXObject: number
  readonly paintInlineImageXObject: number
  readonly paintImageMaskXObject: number
  readonly paintImageXObjectRepeat: number
}

export interface OperatorList {
  readonly fnArray: ArrayLike<number>
  readonly argsArray: ArrayLike<unknown>
}

type Matrix = readonly [number, number, number, number, number, number]

const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0]

const multiply = (m: Matrix, n: ReadonlyArray<number>): Matrix => [
  m[0] * n[0]! + m[2] * n[1]!,
  m[1] * n[0]! + m[3] * n[1]!,
  m[0] * n[2]! + m[2] * n[3]!,
  m[1] * n[2]! + m[3] * n[3]!,
  m[0] * n[4]! + m[2] * n[5]! + m[4],
  m[1] * n[4]! + m[3] * n[5]! + m[5]
]

const isMatrix = (value: unknown): value is ReadonlyArray<number> =>
  Array.isArray(value) && value.length === 6 && value.every((n) => typeof n === "number" && Number.isFinite(n))

/** An image is painted into the unit square, so its area on the page is the CTM's determinant. */
const unitSquareArea = (ctm: Matrix) => Math.abs(ctm[0] * ctm[3] - ctm[1] * ctm[2])

/**
 * The share of the page (0..1) that images cover: the sum of every painted image's area, in page
 * units, over `pageArea`, capped at 1 (strips of one scan add up; overlaps are not worth tracking).
 */
export const imageCoverage = (operators: OperatorList, ops: ImageOps, pageArea: number): number => {
  if (!(pageArea > 0)) return 0
  let ctm: Matrix = IDENTITY
  const stack: Array<Matrix> = []
  let covered = 0
  for (let i = 0; i < operators.fnArray.length; i++) {
    const fn = operators.fnArray[i]
    const args = operators.argsArray[i] as ReadonlyArray<unknown> | null | undefined
    switch (fn) {
      case ops.save:
        stack.push(ctm)
        break
      case ops.restore:
        ctm = stack.pop() ?? ctm
        break
      case ops.transform:
        if (isMatrix(args)) ctm = multiply(ctm, args)
        break
      case ops.paintFormXObjectBegin:
        // A form XObject draws under its own matrix, inside a save/restore pair.
        stack.push(ctm)
        if (isMatrix(args?.[0])) ctm = multiply(ctm, args[0])
        break
      case ops.paintFormXObjectEnd:
        ctm = stack.pop() ?? ctm
        break
      case ops.paintImageXObject:
      case ops.paintInlineImageXObject:
      case ops.paintImageMaskXObject:
        covered += unitSquareArea(ctm)
        break
      case ops.paintImageXObjectRepeat: {
        // [objId, scaleX, scaleY, positions]: the same image at several places.
        const [, scaleX, scaleY, positions] = args ?? []
        const count = Array.isArray(positions) || ArrayBuffer.isView(positions) ? Math.floor((positions as ArrayLike<number>).length / 2) : 0
        if (typeof scaleX === "number" && typeof scaleY === "number") covered += unitSquareArea(ctm) * Math.abs(scaleX * scaleY) * count
        break
      }
    }
  }
  return Math.min(1, covered / pageArea)
}
