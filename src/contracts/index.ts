/**
 * The contract between stages, the projector (read models) and the demo/eval tools: one Effect
 * Schema per artifact a stage stores in the blob store, and per stage the facts it adds to its
 * event. Types are derived from the schemas; readers that need less decode a declared partial view
 * (built from the schema's own fields), never a copy. Which stage writes which artifact is said once,
 * in src/pipeline/descriptor.ts.
 *
 * Offsets (`charStart`, `charEnd`) are UTF-16 code-unit offsets into the CLEAN text (artifact
 * `text`), end exclusive, unless a field says otherwise. Pages are numbered from 1. A field added
 * after artifacts were first stored is optional, so blobs still in Redis or Postgres decode.
 */
export * from "./primitives.ts"
export * from "./extracted-text.ts"
export * from "./clean-text.ts"
export * from "./chunk-list.ts"
export * from "./mention-list.ts"
export * from "./resolution.ts"
export * from "./graph.ts"
