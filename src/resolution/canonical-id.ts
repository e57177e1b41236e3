import { createHash } from "node:crypto"

/**
 * The id of a canonical entity: a hash of project, type and the normalised key of its name, so the
 * same document resolved again (a replay, or a registry rebuilt from scratch) gives the same ids.
 * 96 bits of sha256 keep collisions out of reach for any realistic project.
 */
export const canonicalId = (project: string, type: string, key: string): string =>
  `ent_${createHash("sha256").update(`${project}\u0000${type}\u0000${key}`).digest("hex").slice(0, 24)}`
