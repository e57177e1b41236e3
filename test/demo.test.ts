import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it, vi } from "vitest"
import { runDemo } from "../src/cli/demo.ts"
import { expandDocumentPaths } from "../src/cli/document-files.ts"
import { liveWorks, stagesLayer } from "../src/stages/live-works.ts"
import { serviceRunner, testRedis } from "./support/harness.ts"

const NOTICE = [
  "SUPERIOR COURT OF THE STATE OF CALIFORNIA",
  "COUNTY OF SAN FRANCISCO",
  "",
  "JANE RIVERA, Plaintiff, v. GLOBEX INC., Defendant.",
  "Case No. CGC-25-612345",
  "",
  "NOTICE OF HEARING",
  "",
  "PLEASE TAKE NOTICE that the hearing on Defendant's demurrer is set for July 15, 2025."
].join("\n")

const folder = mkdtempSync(join(tmpdir(), "lexstream-demo-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))
mkdirSync(join(folder, "filings"))
writeFileSync(join(folder, "filings", "NOTICE.TXT"), NOTICE)
writeFileSync(join(folder, "README.md"), "# not a filing\n")
writeFileSync(join(folder, ".hidden.pdf"), "%PDF-1.7\n")

describe("expandDocumentPaths", () => {
  it("takes a folder's PDFs, images and text files in any letter case, recursively, and skips READMEs and dotfiles", () => {
    expect(expandDocumentPaths([folder])).toEqual([join(folder, "filings", "NOTICE.TXT")])
  })

  it("takes a named file whatever its extension, and keeps a missing one so its submission can say so", () => {
    expect(expandDocumentPaths([join(folder, "README.md"), join(folder, "gone.pdf")])).toEqual([
      join(folder, "README.md"),
      join(folder, "gone.pdf")
    ])
  })
})

describe("lexstream demo <paths>", () => {
  const { track } = testRedis()

  it("runs the user's own folder, outside the configured source roots, through every stage into the read models", async () => {
    const roots = mkdtempSync(join(tmpdir(), "lexstream-roots-"))
    const dataDir = mkdtempSync(join(tmpdir(), "lexstream-data-"))
    const { prefix, run } = serviceRunner("demo-paths", { sourceRoots: [roots], dataDir })
    track(prefix)
    const printed: Array<string> = []
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      printed.push(String(chunk))
      return true
    })
    try {
      await run(runDemo({ paths: [folder], works: liveWorks, timeoutMs: 60_000 }).pipe(Effect.provide(stagesLayer)))
    } finally {
      write.mockRestore()
      rmSync(roots, { recursive: true, force: true })
      rmSync(dataDir, { recursive: true, force: true })
    }
    const report = printed.join("")
    expect(report).toContain("NOTICE.TXT")
    expect(report).toMatch(/1\/1 document\(s\) finished/)
    expect(report).toMatch(/plain-text/)
    expect(report).toMatch(/CGC-25-612345/)
    expect(report).toMatch(/read models in PGlite.*1 document\(s\)/)
    expect(report).not.toContain("README.md")
  }, 120_000)
})
