/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`, found by one iterative pass over
 * the characters (brackets inside strings do not count). Recursive parsers and validators overflow
 * the stack on deep input, so this runs before them; it does not check that the text is valid JSON.
 */
export const jsonNestsDeeperThan = (text: string, maxDepth: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return false
}
