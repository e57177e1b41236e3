import { Effect } from "effect"
import { chunkText, type ChunkOptions } from "../../chunking/chunker.ts"
import { CleanTextPages } from "../../contracts/index.ts"
import { ARTIFACTS } from "../../pipeline/descriptor.ts"
import type { BlobStore } from "../../services/blob-store.ts"
import type { StageWork } from "../event-stage.ts"
import { readArtifact, runLogic, writeArtifact } from "./artifact-io.ts"

/** The chunk stage with chosen limits: artifact `text` (CleanText) → artifact `chunks` (ChunkList). */
export const makeChunkWork = (options: Partial<ChunkOptions> = {}): StageWork<BlobStore> => (event) =>
  Effect.gen(function*() {
    const clean = yield* readArtifact(event, ARTIFACTS.text, CleanTextPages)
    const list = yield* runLogic("chunk", () => chunkText(clean, options))
    return yield* writeArtifact(event, ARTIFACTS.chunks, list, { chunks: list.chunks.length })
  }).pipe(Effect.withSpan("stage.chunk"))

/** The chunk stage with the default limits (~1,200 soft, 2,000 hard, 150 overlap). */
export const chunkWork: StageWork<BlobStore> = makeChunkWork()
