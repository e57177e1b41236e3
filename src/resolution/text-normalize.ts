/** Lower case without diacritics, curly quotes made straight: the base of every matching key. */
export const foldText = (text: string): string =>
  text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[\u2018\u2019\u201B\u2032]/g, "'")
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .toLowerCase()

/**
 * Words of a name: periods and apostrophes dropped so `L.L.C.`, `N.A.` and `O'Brien` become one
 * word each, `&` read as `and`, any other punctuation a separator.
 */
export const nameWords = (text: string): Array<string> =>
  foldText(text)
    .replace(/&/g, " and ")
    .replace(/[.']/g, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "")

export const isAllCaps = (text: string): boolean => /\p{L}/u.test(text) && text === text.toUpperCase() && text !== text.toLowerCase()
