import { Effect } from "effect"
import { ExtractedPagesText } from "../../contracts/index.ts"
import { ARTIFACTS } from "../../pipeline/descriptor.ts"
import type { BlobStore } from "../../services/blob-store.ts"
import { cleanDocument } from "../../text/clean.ts"
import type { StageWork } from "../event-stage.ts"
import { readArtifact, runLogic, writeArtifact } from "./artifact-io.ts"

/**
 * The clean stage: artifact `extracted` (ExtractedText) → artifact `text` (CleanText), with the
 * document's category, its confidence and the clean length as facts.
 */
export const cleanWork: StageWork<BlobStore> = (event) =>
  Effect.gen(function*() {
    const extracted = yield* readArtifact(event, ARTIFACTS.extracted, ExtractedPagesText)
    const clean = yield* runLogic("clean", () => cleanDocument(extracted))
    return yield* writeArtifact(event, ARTIFACTS.text, clean, {
      category: clean.classification.category,
      categoryConfidence: clean.classification.confidence,
      chars: clean.text.length
    })
  }).pipe(Effect.withSpan("stage.clean"))
