/**
 * Capitalised words that are headings, defined terms, legal vocabulary or sentence openers in legal
 * documents, never part of a person's name. Compared lower-cased.
 */
const WORDS = `
a about above accordingly act acts additional addendum administration after agency agent agreement
agreements all also amended amendment amendments an and annex answer answering any appeal appeals
appellant appellants appellee appellees appendix application applicable approval article articles as
assignment at attachment attorney attorneys authority background bank bankruptcy because before being
below between board book both brief business but by capital case cases certificate chapter chief
circuit city civil claim claims clause clerk code commission common company complaint conclusion
conditions confidential confidentiality consent consideration constitution consumer content contract
contracts corporate corporation costs counsel count counts county court courthouse courts covenants
credit criminal customer damages date dated day dear death default defendant defendants definitions
department deputy description director discussion district division docket document documents due
during each effective employee employer employment entered entry equity error evidence except exclusive
executive exhibit facts federal fee fees filed final financial first following for form fourth from
fund further general given governing government governor group guide hearing hereby herein hereof
however if in inc including indemnification information initial injunction insurance intellectual
interest introduction is it item its joint judge judges judgment jurisdiction justice law laws lease
license licensee licensor limited line litigation llc loan local ltd management manager market material
may member memorandum merger motion national new no non not note notice notices now obligations of
office officer on opinion or order orders other our owner page paragraph part parties party payment
per period petition petitioner plaintiff plaintiffs plan please point policy preliminary premises
president price principal privacy procedure proceedings product products program project promotion
property provided provision provisions public purchase purchaser purpose pursuant quarter re receipt
recitals record regulations relief remedies report representations request respondent respondents
response review revenue rights rule rules sale schedule second section sections securities see seller
service services shall signature software specific standard state statement states status statute
subject such summary supreme table tax term termination terms territory that the then there therefore
these third this title to total trade trademark transfer trial trust trustee under united upon usa use
vice warranties warranty we whereas whereof which witness witnesseth with within without year yes you
your january february march april may june july august september october november december monday
tuesday wednesday thursday friday saturday sunday north south east west northern southern eastern
western central middle upper lower exchange street avenue road drive boulevard suite floor room
building plaza center tower place square lane honorable hon mr mrs ms dr prof esq jr sr ii iii iv
sincerely respectfully submitted dated by name its cc re via ecf pacer fax telephone email phone
facsimile direct tel www http https internet web site online network system systems technologies
`

export const STOP_WORDS: ReadonlySet<string> = new Set(WORDS.split(/\s+/).filter((word) => word.length > 0))

export const isStopWord = (word: string): boolean => STOP_WORDS.has(word.toLowerCase().replace(/[.,’']+$/u, ""))

/** Words a capitalised span may start with that are not part of the name after them ("The", "See"). */
export const LEADING_NOISE: ReadonlySet<string> = new Set(
  `the this that these those such each any all said our your its his her their a an and or between by
  whereas now therefore in on at to for from with if upon under pursuant notwithstanding except provided
  see cf accord also but compare contra dear re between among hereby plaintiff plaintiffs defendant
  defendants appellant appellants appellee appellees petitioner petitioners respondent respondents
  movant counsel attorney attorneys when while where after before since although because as once until
  is was were are be been every either neither nor both only even so thus hence however`
    .split(/\s+/)
    .filter((word) => word.length > 0)
)
