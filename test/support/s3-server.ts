import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/**
 * Just enough of the S3 REST protocol for GetObject and PutObject, path-style (`GET|PUT /bucket/key`), so the real
 * @aws-sdk/client-s3 can be tested without AWS: objects with Content-Length, and S3's XML errors
 * (NoSuchKey, NoSuchBucket, or any injected one such as 503 SlowDown).
 */

interface StoredObject {
  readonly body: Buffer
  readonly contentType: string
  /** Send the body chunked, without Content-Length (to test caps that do not trust the header). */
  readonly chunked: boolean
}

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
}

const xmlEscape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)

export const startS3Server = async () => {
  const buckets = new Map<string, Map<string, StoredObject>>()
  const requests: Array<RecordedRequest> = []
  const injected: Array<{ status: number; code: string }> = []

  const sendError = (res: ServerResponse, status: number, code: string, message: string, resource: string) => {
    const requestId = randomUUID()
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>` +
      `<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`
    res.writeHead(status, {
      "content-type": "application/xml",
      "content-length": Buffer.byteLength(body),
      "x-amz-request-id": requestId
    })
    res.end(body)
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost")
    requests.push({ method: req.method ?? "", path: url.pathname, authorization: req.headers.authorization })
    // Path-style: /<bucket>/<key…>; the key is URI-encoded segment by segment.
    const [, bucketName = "", ...keyParts] = url.pathname.split("/")
    const key = keyParts.map(decodeURIComponent).join("/")
    const fault = injected.shift()
    if (fault) return sendError(res, fault.status, fault.code, "injected failure", url.pathname)
    if (req.method === "PUT") {
      // Buckets spring into existence on first write (tests create no buckets).
      const parts: Array<Buffer> = []
      req.on("data", (part: Buffer) => parts.push(part))
      req.on("end", () => {
        if (!buckets.has(bucketName)) buckets.set(bucketName, new Map())
        buckets.get(bucketName)!.set(key, {
          body: Buffer.concat(parts),
          contentType: req.headers["content-type"] ?? "application/octet-stream",
          chunked: false
        })
        res.writeHead(200, { etag: `"${randomUUID().replace(/-/g, "")}"`, "x-amz-request-id": randomUUID(), "content-length": 0 })
        res.end()
      })
      return
    }
    if (req.method !== "GET") return sendError(res, 405, "MethodNotAllowed", "only GET and PUT are supported", url.pathname)
    const bucket = buckets.get(bucketName)
    if (bucket === undefined) return sendError(res, 404, "NoSuchBucket", "The specified bucket does not exist", url.pathname)
    const object = bucket.get(key)
    if (object === undefined) return sendError(res, 404, "NoSuchKey", "The specified key does not exist.", url.pathname)
    const headers: Record<string, string | number> = {
      "content-type": object.contentType,
      etag: `"${randomUUID().replace(/-/g, "")}"`,
      "last-modified": new Date().toUTCString(),
      "x-amz-request-id": randomUUID()
    }
    if (!object.chunked) headers["content-length"] = object.body.byteLength
    res.writeHead(200, headers)
    if (object.chunked) {
      // Several writes so the client sees a stream, not one buffer.
      const step = 64 * 1024
      for (let offset = 0; offset < object.body.byteLength; offset += step) res.write(object.body.subarray(offset, offset + step))
      res.end()
    } else {
      res.end(object.body)
    }
  }

  const server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    put: (bucket: string, key: string, body: Uint8Array, options: { contentType?: string; chunked?: boolean } = {}) => {
      if (!buckets.has(bucket)) buckets.set(bucket, new Map())
      buckets.get(bucket)!.set(key, {
        body: Buffer.from(body),
        contentType: options.contentType ?? "application/octet-stream",
        chunked: options.chunked ?? false
      })
    },
    /** A stored object's bytes (what a PutObject wrote), or undefined. */
    get: (bucket: string, key: string): Buffer | undefined => buckets.get(bucket)?.get(key)?.body,
    /** The next request is answered with this error instead. */
    failNext: (status: number, code: string) => {
      injected.push({ status, code })
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export type S3TestServer = Awaited<ReturnType<typeof startS3Server>>
