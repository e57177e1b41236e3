import { readdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** Where the bundled sample documents and their answer key live. */
export const SAMPLES_DIR = fileURLToPath(new URL("../../samples/", import.meta.url))
export const ANSWER_KEY_FILE = "answer-key.json"

/** The sample documents (everything in samples/ but the answer key and dotfiles), sorted by name. */
export const sampleDocuments = (dir = SAMPLES_DIR): Array<string> =>
  readdirSync(dir)
    .filter((name) => !name.startsWith(".") && name !== ANSWER_KEY_FILE)
    .sort()
    .map((name) => join(dir, name))
