/**
 * The failure a stage reports when an artifact its input names is in neither Redis nor the durable
 * blob tier: lost for good (on Redis Cluster, written on a master that died before its replica had
 * it, while the event naming it lived on elsewhere). The stage retries it like any transient fault,
 * then the document fails as retryable with this reason, and `lexstream reconcile` recognises the
 * reason and runs the document again from its source, as a new version (the earlier stages'
 * done-markers would drop the same version).
 */
const MARK = "artifact lost:"

export const lostArtifactMessage = (name: string, ref: string, where: string) =>
  `${MARK} '${name}' (${ref}) is not in ${where}`

/** Whether a document.failed reason is a lost artifact's. */
export const isLostArtifactReason = (reason: string | null | undefined) => reason?.includes(MARK) === true
