import { constants } from "node:fs"
import { open, realpath, stat } from "node:fs/promises"
import { isAbsolute, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { readBounded } from "./bounded-read.ts"
import { isTransientIoCode, type SourceError, sourceError } from "./errors.ts"
import { displayUri, redactUrls } from "./redact.ts"
import { asSourceError, type SourceSettings } from "./settings.ts"

const isWithin = (root: string, path: string) => {
  const rel = relative(root, path)
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code

/**
 * Reads a `file://` source that lies under one of the configured roots. The path is checked twice:
 * as written (so a path outside the roots is refused without telling whether it exists) and after
 * resolving symlinks (so a link inside a root that points out of it is refused too). Only regular
 * files are read, and only up to `maxSourceBytes`. An error about the path itself is permanent;
 * only transient I/O (isTransientIoCode) is retried.
 */
export const readFileSource = (uri: string, settings: SourceSettings): Effect.Effect<Buffer, SourceError> => {
  const shown = displayUri(uri)
  return Effect.tryPromise({
    try: async () => {
      let path: string
      try {
        path = fileURLToPath(uri)
      } catch (error) {
        throw sourceError("invalid_uri", `not a local file URL: ${redactUrls((error as Error).message)}`)
      }
      if (path.includes("\0")) throw sourceError("invalid_uri", `${shown} contains a NUL character (%00), which no file name can`)
      const givenRoots = settings.sourceRoots.map((root) => resolve(root))
      const realRoots = (await Promise.all(givenRoots.map((root) => realpath(root).catch(() => undefined))))
        .filter((root): root is string => root !== undefined)
      const outside = () => sourceError("outside_roots", `${shown} is outside the allowed source roots`)
      if (![...givenRoots, ...realRoots].some((root) => isWithin(root, path))) throw outside()

      let real: string
      try {
        real = await realpath(path)
      } catch (error) {
        const code = errorCode(error)
        if (code === "ENOENT" || code === "ENOTDIR") throw sourceError("not_found", `${shown} does not exist`)
        if (code === "ELOOP") throw sourceError("not_a_file", `${shown} is a symlink loop`)
        throw error
      }
      if (!realRoots.some((root) => isWithin(root, real))) throw outside()

      // stat before open: opening a FIFO would block until a writer appears.
      const before = await stat(real)
      if (!before.isFile()) throw sourceError("not_a_file", `${shown} is not a regular file`)
      const tooLarge = () => sourceError("too_large", `${shown} is ${before.size} bytes, over the ${settings.maxSourceBytes}-byte limit`)
      if (before.size > settings.maxSourceBytes) throw tooLarge()

      // O_NOFOLLOW and the inode comparison catch a file swapped for a symlink after the checks.
      const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      try {
        const opened = await handle.stat()
        if (!opened.isFile() || opened.ino !== before.ino || opened.dev !== before.dev) {
          throw sourceError("not_a_file", `${shown} changed while it was being opened`, true)
        }
        return await readBounded(handle.createReadStream({ autoClose: false }), settings.maxSourceBytes, shown)
      } finally {
        await handle.close()
      }
    },
    catch: (error) => {
      const code = errorCode(error)
      if (code === "EACCES" || code === "EPERM") return sourceError("io_error", `${shown} is not readable (${code})`, false)
      if (code === "ELOOP") return sourceError("not_a_file", `${shown} is a symbolic link`)
      if (code === "EISDIR") return sourceError("not_a_file", `${shown} is a directory`)
      return asSourceError(error, (message) =>
        sourceError("io_error", `cannot read ${shown}: ${redactUrls(message)}`, isTransientIoCode(code)))
    }
  })
}
