import { createServer } from "node:http"
import { Effect } from "effect"
import type { RedisConnection } from "../services/redis.ts"
import type { Registry } from "prom-client"

/**
 * /metrics (Prometheus), /healthz (the process is alive), /readyz (Redis answers: the worker can make
 * progress). Plain node:http: three routes need no framework.
 */
export const serveHttp = (port: number, registry: Registry, redis: RedisConnection) =>
  Effect.acquireRelease(
    Effect.callback<ReturnType<typeof createServer>, Error>((resume) => {
      const server = createServer((request, response) => {
        const path = (request.url ?? "/").split("?")[0]
        if (path === "/metrics") {
          registry.metrics().then(
            (body) => response.writeHead(200, { "content-type": registry.contentType }).end(body),
            (error: Error) => response.writeHead(500).end(error.message)
          )
        } else if (path === "/healthz") {
          response.writeHead(200, { "content-type": "text/plain" }).end("ok\n")
        } else if (path === "/readyz") {
          const ready = redis.status === "ready"
          response.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready\n" : `redis ${redis.status}\n`)
        } else {
          response.writeHead(404).end()
        }
      })
      server.once("error", (error) => resume(Effect.fail(error)))
      server.listen(port, () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.callback<void>((resume) => { server.close(() => resume(Effect.void)); server.closeAllConnections() })
  )
