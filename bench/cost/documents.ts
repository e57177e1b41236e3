// Inputs of the cost benchmarks: small generated text documents, and the PDFs of a corpus folder.
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const FIRST = ["Alice", "Brian", "Carla", "David", "Elena", "Frank", "Grace", "Henry"]
const LAST = ["Morgan", "Patel", "Nguyen", "Okafor", "Schmidt", "Rossi", "Kowalski", "Haddad"]
const COMPANIES = ["Acme Supply Corporation", "Birch Logistics LLC", "Cobalt Analytics Inc.", "Delta Freight Company"]

/**
 * `count` short letters and notices (~600 bytes each) over a small cast of people and companies,
 * so the project's registry stops growing early: what grows per document is only what the
 * pipeline keeps for each document.
 */
export const writeSmallDocuments = (folder: string, count: number): Array<string> => {
  mkdirSync(folder, { recursive: true })
  const files: Array<string> = []
  for (let i = 0; i < count; i++) {
    const person = `${FIRST[i % FIRST.length]} ${LAST[(i >> 3) % LAST.length]}`
    const company = COMPANIES[i % COMPANIES.length]!
    const other = COMPANIES[(i + 1) % COMPANIES.length]!
    const day = (i % 28) + 1
    // Order numbers and amounts from small pools too: the registry holds what the project knows,
    // which must not grow with every document here.
    const order = 10_000 + (i % 50)
    const amount = (1_000 + (i % 40) * 7).toLocaleString("en-US")
    const text = `NOTICE OF DELIVERY\n\nMarch ${day}, 2025\n\n${person}\n${company}\n100 Main Street, Springfield, IL 62701\n\n` +
      `Dear ${person.split(" ")[0]}:\n\nThis letter confirms that ${other} delivered order number ${order} under the Supply ` +
      `Agreement dated January ${day}, 2024 between ${company} and ${other}. The invoice of $${amount}.00 ` +
      `is payable within thirty days.\n\nSincerely,\n\n${FIRST[(i + 3) % FIRST.length]} ${LAST[(i + 5) % LAST.length]}\n${other}\n`
    const file = join(folder, `notice-${i}.txt`)
    writeFileSync(file, text)
    files.push(file)
  }
  return files
}

/** Every PDF under the corpus folder (contracts/, court/), sorted; at most `limit`. */
export const corpusFiles = (folder: string, limit = Infinity): Array<string> => {
  const found: Array<string> = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (/\.pdf$/i.test(name)) found.push(path)
    }
  }
  walk(folder)
  return found.slice(0, limit)
}
