/**
 * Case reporters in their Bluebook form. A citation's core is `<volume> <reporter> <page>`; the
 * reporter is matched with free spacing ("F.Supp.2d" = "F. Supp. 2d") and normalised to this form.
 */
export const REPORTERS: ReadonlyArray<string> = [
  // Federal
  "U.S.", "S. Ct.", "L. Ed.", "L. Ed. 2d", "U.S.L.W.",
  "F.", "F.2d", "F.3d", "F.4th", "F. Supp.", "F. Supp. 2d", "F. Supp. 3d", "F. App'x", "Fed. Appx.",
  "F.R.D.", "B.R.", "Fed. Cl.", "Ct. Cl.", "Cl. Ct.", "T.C.", "T.C.M.", "M.J.", "Vet. App.", "Ct. Int'l Trade",
  "U.S.P.Q.", "U.S.P.Q.2d", "Fed. Reg.",
  // Regional
  "A.", "A.2d", "A.3d", "N.E.", "N.E.2d", "N.E.3d", "N.W.", "N.W.2d", "P.", "P.2d", "P.3d",
  "S.E.", "S.E.2d", "S.W.", "S.W.2d", "S.W.3d", "So.", "So. 2d", "So. 3d",
  // States
  "Cal.", "Cal. 2d", "Cal. 3d", "Cal. 4th", "Cal. 5th", "Cal. App.", "Cal. App. 2d", "Cal. App. 3d",
  "Cal. App. 4th", "Cal. App. 5th", "Cal. Rptr.", "Cal. Rptr. 2d", "Cal. Rptr. 3d",
  "N.Y.", "N.Y.2d", "N.Y.3d", "A.D.", "A.D.2d", "A.D.3d", "Misc.", "Misc. 2d", "Misc. 3d",
  "N.Y.S.", "N.Y.S.2d", "N.Y.S.3d",
  "Ill.", "Ill. 2d", "Ill. App.", "Ill. App. 2d", "Ill. App. 3d", "Ill. Dec.",
  "Mass.", "Mass. App. Ct.", "Pa.", "Pa. Super.", "Pa. Commw.", "Tex.", "Wash.", "Wash. 2d", "Wash. App.",
  "Ohio St.", "Ohio St. 2d", "Ohio St. 3d", "Ohio App. 3d", "Mich.", "Mich. App.", "N.J.", "N.J. Super.",
  "Del.", "Del. Ch.", "Ga.", "Ga. App.", "Md.", "Md. App.", "Va.", "Wis. 2d", "Minn.", "Mo.", "Conn.",
  "Conn. App.", "Or.", "Or. App.", "Colo.", "Ariz.", "Nev.", "N.C.", "N.C. App.", "S.C.", "Kan.", "Neb.",
  "Iowa", "Haw.", "Utah", "Vt.", "N.H.", "Me.", "R.I.", "Ind.", "Ind. App.", "Ky.", "Tenn.", "Ala.", "Miss.",
  "La.", "Okla.", "Ark.", "Mont.", "Wyo.", "Idaho", "Alaska", "N.M.", "N.D.", "S.D.", "W. Va.",
  // Electronic databases: `2019 WL 1234567`, `2020 U.S. Dist. LEXIS 12345`
  "WL", "U.S. Dist. LEXIS", "U.S. App. LEXIS", "LEXIS", "Bankr. LEXIS"
]

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** A pattern for one reporter that allows any spacing between its parts. */
const reporterPattern = (reporter: string): string =>
  reporter
    .split(/(?<=\.)\s*|\s+/)
    .filter((part) => part.length > 0)
    .map((part) => escape(part).replace(/'/g, "['’]"))
    .join("\\s*")

/** Longest first, so "F. Supp. 2d" is tried before "F." */
const BY_LENGTH = [...REPORTERS].sort((a, b) => b.length - a.length)

/** Alternation of every reporter (no capture groups). */
export const REPORTER_PATTERN = BY_LENGTH.map(reporterPattern).join("|")

const SQUASHED = new Map(REPORTERS.map((reporter) => [reporter.replace(/[\s’']/g, "").toLowerCase(), reporter]))

/** The Bluebook form of a reporter as written (`F.Supp.2d` → `F. Supp. 2d`). */
export const canonicalReporter = (written: string): string =>
  SQUASHED.get(written.replace(/[\s’']/g, "").toLowerCase()) ?? written.replace(/\s+/g, " ")
