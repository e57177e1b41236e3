import { crc32 } from "node:zlib"
import type { AppConfigShape } from "../config.ts"
import { streamNames, type StreamNames } from "./streams.ts"

/**
 * Where lexstream's keys live: one layout shared by the engine, the stages, the projector and the
 * CLIs (src/events/key-layout.ts is the only place that decides a name's slot).
 *
 * - Single layout (LEXSTREAM_PARTITIONS=1 and not LEXSTREAM_REDIS_CLUSTER): every name exactly as
 *   `streamNames(prefix)` gives it, one partition (0).
 * - Partitioned layout (otherwise): every stream and per-document key of partition p carries the
 *   hash tag `{p<p>}` (`lexstream:{p3}:document.chunked`, `lexstream:{p3}:done:<work key>`), so a
 *   stage's atomic hand-off (input ack, output append, done-marker, lock) is one script call in one
 *   Redis Cluster slot. Producers still write the plain `lexstream:intake`; intake's own keys are
 *   tagged with the name of the intake stream it reads (`lexstream:{lexstream:intake}:rejected`),
 *   which puts them in that stream's slot.
 *
 * A document's partition is CRC-32 (IEEE, as zlib, Java's CRC32 or Python's zlib.crc32 compute it)
 * of its id's UTF-8 bytes, modulo the number of partitions: any producer can compute it.
 */
export interface KeyLayout {
  /** The configured prefix (`lexstream:`). */
  readonly prefix: string
  /** False: today's names (one Redis, one partition); true: hash-tagged names per partition. */
  readonly partitioned: boolean
  /** How many partitions documents are spread over (LEXSTREAM_PARTITIONS). */
  readonly partitions: number
  /** The partitions this process consumes (LEXSTREAM_PARTITIONS_OWNED; default: all). */
  readonly owned: ReadonlyArray<number>
  /** The untagged names: the producers' intake streams and blobs; every name in the single layout. */
  readonly plain: StreamNames
  /** Names of partition `p`'s streams and per-document keys. */
  readonly partition: (p: number) => StreamNames
  /** Names of every partition, in order (tools that read them all; workers read only `owned`). */
  readonly everyPartition: ReadonlyArray<StreamNames>
  /** The partition a document belongs to. */
  readonly partitionOf: (documentId: string) => number
  /** Names of the partition a document belongs to. */
  readonly forDocument: (documentId: string) => StreamNames
  /** Names of intake's own keys (locks, done-markers, errors, rejected, dead letters) for one intake stream, in its slot. */
  readonly intakeSide: (intakeStream: string) => StreamNames
  /**
   * Every group of names whose keys share a slot, for tools that look at all of them (dead letters,
   * `top`): both intake sides and every partition; in the single layout just `plain`.
   */
  readonly keySpaces: ReadonlyArray<StreamNames>
  /**
   * Prefix of a group of keys that a script or MULTI uses together (`ratelimit:<provider>`,
   * `project:<name>`): `lexstream:<name>:` in the single layout, `lexstream:{<name>}:` partitioned.
   */
  readonly scope: (name: string) => string
}

export type LayoutSettings = Pick<AppConfigShape, "keyPrefix" | "partitions" | "ownedPartitions" | "redisCluster">

/** Partition of a document id: CRC-32 of its UTF-8 bytes modulo `partitions`. */
export const partitionOf = (documentId: string, partitions: number): number =>
  partitions <= 1 ? 0 : crc32(Buffer.from(documentId, "utf8")) % partitions

/** The hash-tagged prefix of partition `p`. */
export const partitionPrefix = (prefix: string, p: number) => `${prefix}{p${p}}:`

/** Parses a partition set such as `0-3,7`; throws on anything else. */
export const parsePartitionSet = (text: string): ReadonlyArray<number> => {
  const owned = new Set<number>()
  for (const part of text.split(",").map((item) => item.trim()).filter((item) => item !== "")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (!match) throw new Error(`"${part}" is not a partition number or range (e.g. 0-3,7)`)
    const from = Number(match[1])
    const to = match[2] === undefined ? from : Number(match[2])
    if (to < from) throw new Error(`"${part}" is an empty range`)
    for (let p = from; p <= to; p++) owned.add(p)
  }
  return [...owned].sort((a, b) => a - b)
}

const layouts = new WeakMap<LayoutSettings, KeyLayout>()

/** The layout of a configuration (computed once per configuration object). */
export const keyLayout = (settings: LayoutSettings): KeyLayout => {
  const known = layouts.get(settings)
  if (known) return known
  const prefix = settings.keyPrefix
  const partitions = Math.max(1, settings.partitions)
  const partitioned = settings.redisCluster || partitions > 1
  const plain = streamNames(prefix)
  const byPartition = Array.from({ length: partitions }, (_, p) => partitioned ? streamNames(prefix, partitionPrefix(prefix, p)) : plain)
  const sides = new Map<string, StreamNames>()
  const layout: KeyLayout = {
    prefix,
    partitioned,
    partitions,
    owned: settings.ownedPartitions ?? byPartition.map((_, p) => p),
    plain,
    partition: (p) => {
      const names = byPartition[p]
      if (names === undefined) throw new RangeError(`partition ${p} is not one of the ${partitions} partitions`)
      return names
    },
    everyPartition: byPartition,
    partitionOf: (documentId) => partitionOf(documentId, partitions),
    forDocument: (documentId) => byPartition[partitionOf(documentId, partitions)]!,
    intakeSide: (intakeStream) => {
      if (!partitioned) return plain
      let names = sides.get(intakeStream)
      if (names === undefined) sides.set(intakeStream, names = streamNames(prefix, `${prefix}{${intakeStream}}:`))
      return names
    },
    scope: (name) => partitioned ? `${prefix}{${name}}:` : `${prefix}${name}:`,
    get keySpaces() {
      return partitioned ? [layout.intakeSide(plain.intake), layout.intakeSide(plain.intakeLane), ...byPartition] : [plain]
    }
  }
  layouts.set(settings, layout)
  return layout
}
