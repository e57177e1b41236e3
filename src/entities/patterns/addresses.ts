import { STATE_CODES, STATE_NAMES } from "../lexicon/places.ts"
import { collect, HS } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * ADDRESS: a US street address, from the street number to the ZIP code when the city line follows:
 * `2217 Franklin Street, Suite 310\nOakland, CA 94607`, `One Keystone Place, Suite 1400\nPittsburgh, PA
 * 15219`, `1250 Potomac Avenue, N.W.\nSuite C-2140\nWashington, DC 20036`,
 * `1450 Kestrel Boulevard, Hoboken, NJ 07030`. A street line without a city (`located at 1450
 * Kestrel Boulevard`) is an address too, less certain.
 */

const STREET_TYPES = [
  "Street", "St", "Avenue", "Ave", "Boulevard", "Blvd", "Road", "Rd", "Drive", "Dr", "Lane", "Ln", "Way", "Place", "Pl",
  "Court", "Ct", "Square", "Sq", "Parkway", "Pkwy", "Highway", "Hwy", "Circle", "Cir", "Terrace", "Ter", "Plaza",
  "Trail", "Trl", "Center", "Centre", "Pike", "Turnpike", "Row", "Alley", "Loop", "Expressway", "Freeway", "Broadway"
]
const STREET_TYPE = `(?:${STREET_TYPES.flatMap((t) => [t, t.toUpperCase()]).join("|")})\\.?`
const DIRECTION = "(?:N\\.E\\.|N\\.W\\.|S\\.E\\.|S\\.W\\.|North|South|East|West|NORTH|SOUTH|EAST|WEST|NE|NW|SE|SW|N|S|E|W)\\.?"
const NUMBER = "(?:[0-9]{1,6}[A-Za-z]?(?:-[0-9]{1,5})?|One|Two|Three|Four|Five|ONE|TWO)"
const STREET_WORD = "(?:\\p{Lu}[\\p{L}'’.-]*|[0-9]{1,3}(?:st|nd|rd|th|ST|ND|RD|TH))"
/** `2217 Franklin Street`, `214 North 9th Street`, `87 Ferris St #210`, `300 W. Sycamore Hills Blvd.`, `Broadway`. */
const GAP = "(?:[ \\t]+|[ \\t]*\\n[ \\t]*)"
const STREET = `${NUMBER}${GAP}(?:${DIRECTION}${GAP})?(?:${STREET_WORD}${GAP}){0,3}${STREET_TYPE}(?:,?${HS}${DIRECTION}(?![\\p{L}]))?(?:${HS}#[ \\t]?[0-9A-Za-z-]+)?`
/** Common street types only, with at least one word before: an address with no city must look like one ("2019 Federal Court" does not). */
const PLAIN_TYPE = "(?:Street|STREET|St\\.|Avenue|AVENUE|Ave\\.|Boulevard|BOULEVARD|Blvd\\.?|Road|ROAD|Rd\\.?|Drive|DRIVE|Lane|Parkway|Pkwy\\.|Highway|Hwy\\.|Pike|Broadway)"
const PLAIN_STREET = `${NUMBER}${HS}(?:${DIRECTION}${HS})?(?:${STREET_WORD}${HS}){1,3}${PLAIN_TYPE}(?:,?${HS}${DIRECTION}(?![\\p{L}]))?(?:${HS}#[ \\t]?[0-9A-Za-z-]+)?`
/** A street without a type is only an address when a suite follows ("740 Ashgrove, Suite C-7"). */
const UNTYPED_STREET = `${NUMBER}${HS}(?:${STREET_WORD}${HS}){0,2}${STREET_WORD}`
const UNIT = "(?:(?:Suite|SUITE|Ste\\.|STE\\.|Room|ROOM|Rm\\.|Floor|FLOOR|Fl\\.|Unit|UNIT|Apt\\.|Apartment|Building|Bldg\\.|#)[ \\t]*[0-9A-Za-z][0-9A-Za-z.-]*|[0-9]{1,3}(?:st|nd|rd|th)[ \\t]+(?:Floor|FLOOR))"
const PO_BOX = "(?:P\\.?[ \\t]?O\\.?[ \\t]+Box|POST[ \\t]+OFFICE[ \\t]+BOX|Post[ \\t]+Office[ \\t]+Box)[ \\t]+[0-9]+"
const STATE = `(?:${STATE_CODES.join("|")}|${[...STATE_NAMES].sort((a, b) => b.length - a.length).flatMap((n) => [n, n.toUpperCase()]).map((n) => n.replace(/ /g, "[ \\t\\n]+")).join("|")})`
const CITY = "(?:\\p{Lu}[\\p{L}'’.-]*(?:[ \\t]+\\p{Lu}[\\p{L}'’.-]*){0,3})"
const ZIP = "[0-9]{5}(?:-[0-9]{4})?"
const SEPARATOR = "(?:,[ \\t]*\\n?[ \\t]*|[ \\t]*\\n[ \\t]*|[ \\t]+)"
/** A building's name on its own line between the street and the city ("THOMAS F. WARDELL U.S. COURTHOUSE"). */
const BUILDING_LINE = "(?:[^\\n]{0,60}(?:Courthouse|COURTHOUSE|Building|BUILDING|Tower|TOWER|Center|CENTER|Plaza|PLAZA))"

const FULL = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${STREET}|${PO_BOX}|${UNTYPED_STREET}(?=${SEPARATOR}${UNIT}))(?:${SEPARATOR}${UNIT})*(?:${SEPARATOR}${BUILDING_LINE})?${SEPARATOR}${CITY},?[ \\t]*\\n?[ \\t]*${STATE}\\.?,?[ \\t]+${ZIP}(?![0-9])`,
  "gu"
)
const STREET_ONLY = new RegExp(`(?<![\\p{L}\\p{N}])(?:${PLAIN_STREET}|${PO_BOX})(?:,?[ \\t]+${UNIT})*(?![\\p{L}])`, "gu")
const KEEPS_PERIOD = /(?:St|Ave|Blvd|Rd|Pkwy|Hwy|Ste|Rm|Fl|N\.W|N\.E|S\.W|S\.E|[NSEW])\.$/

export const recognizeAddresses: Recognizer = (text) => [
  ...collect(text, FULL, (m) => ({ type: "ADDRESS", charStart: m.index, charEnd: m.index + m[0].length, confidence: 0.9 })),
  ...collect(text, STREET_ONLY, (m) => {
    let raw = m[0].replace(/[\s,]+$/u, "")
    if (raw.endsWith(".") && !KEEPS_PERIOD.test(raw)) raw = raw.slice(0, -1)
    return { type: "ADDRESS", charStart: m.index, charEnd: m.index + raw.length, confidence: 0.7 }
  })
]
