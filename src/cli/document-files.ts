import { readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"

/** What a folder contributes: PDFs, images and plain text (not READMEs in Markdown). */
const FOLDER_DOCUMENT = /\.(?:pdf|png|jpe?g|tiff?|txt)$/iu

/** Every document file under a folder, recursively, sorted; dotfiles and other extensions are skipped. */
const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith("."))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return filesUnder(path)
      return entry.isFile() && FOLDER_DOCUMENT.test(entry.name) ? [path] : []
    })

/**
 * Files and folders as given on a command line → the files to submit (absolute paths). A named
 * file is taken whatever its extension (the OCR stage decides from its bytes); a folder contributes
 * its documents (`.pdf`, `.PDF`, images, `.txt`). A path that does not exist is kept, so the
 * submission reports it.
 */
export const expandDocumentPaths = (paths: ReadonlyArray<string>): Array<string> =>
  paths.flatMap((path) => {
    const absolute = resolve(path)
    try {
      return statSync(absolute).isDirectory() ? filesUnder(absolute) : [absolute]
    } catch {
      return [absolute]
    }
  })
