import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AppConfig, type AppConfigOverrides } from "../src/config.ts"
import { isHostAllowed } from "../src/sources/http.ts"
import { displayUri, redactUrls } from "../src/sources/redact.ts"
import { DocumentSources, type ReadOptions } from "../src/sources/source.ts"
import { startS3Server, type S3TestServer } from "./support/s3-server.ts"

/** Reading submissions' bytes: file roots, the HTTP allow-list, S3 through the real SDK. */

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** The DocumentSources service as the worker builds it, on the given settings. */
const sourcesWith = (config: AppConfigOverrides, timeoutMs?: number) => {
  const layer = DocumentSources.layerWith(timeoutMs === undefined ? {} : { timeoutMs }).pipe(Layer.provide(AppConfig.layer(config)))
  const run = <A, E>(use: (sources: DocumentSources["Service"]) => Effect.Effect<A, E>) =>
    Effect.runPromise(Effect.provide(DocumentSources.use(use), layer))
  return {
    read: (uri: string, options?: ReadOptions) => run((sources) => sources.read(uri, options)),
    fail: (uri: string, options?: ReadOptions) => run((sources) => Effect.flip(sources.read(uri, options)))
  }
}

describe("file:// sources", () => {
  let base: string
  let root: string
  const content = Buffer.from("%PDF-1.4 not really, but bytes all the same\n")

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "lexstream-sources-"))
    root = join(base, "root")
    await mkdir(join(root, "sub"), { recursive: true })
    await writeFile(join(root, "sub", "contract 1.pdf"), content)
    await writeFile(join(base, "secret.txt"), "outside the root")
    await symlink(join(base, "secret.txt"), join(root, "escape.txt"))
    await symlink(join(root, "sub", "contract 1.pdf"), join(root, "alias.pdf"))
    await writeFile(join(root, "big.bin"), Buffer.alloc(2_048, 1))
  })
  afterAll(async () => {
    await rm(base, { recursive: true, force: true })
  })

  const url = (path: string) => pathToFileURL(path).href

  it("reads a file under a root and hashes it", async () => {
    const { read } = sourcesWith({ sourceRoots: [root] })
    const got = await read(url(join(root, "sub", "contract 1.pdf")))
    expect(got.bytes.equals(content)).toBe(true)
    expect(got.sha256).toBe(sha256(content))
    // A symlink that stays inside the roots is fine.
    expect((await read(url(join(root, "alias.pdf")))).bytes.equals(content)).toBe(true)
  })

  it("refuses `..` paths and symlinks that leave the roots, without reading them", async () => {
    const { fail } = sourcesWith({ sourceRoots: [root] })
    for (const uri of [`file://${root}/../secret.txt`, `file://${root}/sub/%2e%2e/%2E%2E/secret.txt`, url(join(base, "secret.txt"))]) {
      const error = await fail(uri)
      expect(error.reason, uri).toBe("outside_roots")
      expect(error.retryable).toBe(false)
    }
    const escaped = await fail(url(join(root, "escape.txt")))
    expect(escaped.reason).toBe("outside_roots")
    expect(escaped.message).not.toContain("outside the root\n")
    // Outside the roots, a missing file looks the same as an existing one (no probing).
    expect((await fail(url(join(base, "nothing-here.txt")))).reason).toBe("outside_roots")
  })

  it("says not_found, not_a_file, too_large and hash_mismatch, all permanent", async () => {
    const { fail, read } = sourcesWith({ sourceRoots: [root], maxSourceBytes: 1_024 })
    const cases: Array<[string, string, ReadOptions?]> = [
      [url(join(root, "missing.pdf")), "not_found"],
      [url(join(root, "sub")), "not_a_file"],
      [url(join(root, "big.bin")), "too_large"],
      [url(join(root, "sub", "contract 1.pdf")), "hash_mismatch", { sha256: "0".repeat(64) }],
      ["file://otherhost/etc/passwd", "invalid_uri"],
      ["ftp://example.com/x.pdf", "unsupported_scheme"],
      ["contract.pdf", "unsupported_scheme"]
    ]
    for (const [uri, reason, options] of cases) {
      const error = await fail(uri, options)
      expect({ uri, reason: error.reason, retryable: error.retryable }).toEqual({ uri, reason, retryable: false })
    }
    // The declared hash may be in upper case.
    const ok = await read(url(join(root, "sub", "contract 1.pdf")), { sha256: sha256(content).toUpperCase() })
    expect(ok.sha256).toBe(sha256(content))
  })

  it("refuses a FIFO without blocking on it", async () => {
    const fifo = join(root, "pipe.pdf")
    try {
      execFileSync("mkfifo", [fifo])
    } catch {
      return // no mkfifo on this machine
    }
    const error = await sourcesWith({ sourceRoots: [root] }).fail(url(fifo))
    expect(error.reason).toBe("not_a_file")
  })

  it("treats a path that cannot work (NUL byte, name too long, file as folder) as permanent, not as transient I/O", async () => {
    const { fail } = sourcesWith({ sourceRoots: [root] })
    const nul = await fail(`${url(root)}/a%00.pdf`)
    expect([nul.reason, nul.retryable]).toEqual(["invalid_uri", false])
    expect(nul.message).toContain("NUL")
    for (const uri of [url(join(root, `${"x".repeat(300)}.pdf`)), url(join(root, "sub", "contract 1.pdf", "inner.pdf"))]) {
      const error = await fail(uri)
      expect(error.retryable, `${uri}: ${error.reason} ${error.message}`).toBe(false)
    }
  })
})

describe("http(s):// sources", () => {
  let server: ReturnType<typeof createServer>
  let origin: string
  let port: number
  const hostsSeen: Array<string> = []
  const body = Buffer.from("plain text document body\n".repeat(10))

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      hostsSeen.push(`${req.headers.host} ${req.url}`)
      const send = (status: number, headers: Record<string, string | number>, payload?: Buffer) => {
        res.writeHead(status, headers)
        res.end(payload)
      }
      // Routed by path: presigned URLs carry their signature in the query.
      switch (new URL(req.url ?? "/", "http://x").pathname) {
        case "/doc.txt":
          return send(200, { "content-type": "text/plain", "content-length": body.byteLength }, body)
        case "/big":
          return send(200, { "content-length": 5_000 }, Buffer.alloc(5_000))
        case "/big-chunked": {
          res.writeHead(200, { "content-type": "application/octet-stream" })
          for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1_000))
          return res.end()
        }
        case "/redirect-inside":
          return send(302, { location: "/doc.txt" })
        case "/redirect-outside":
          return send(302, { location: `http://localhost:${port}/doc.txt` })
        case "/redirect-loop":
          return send(302, { location: "/redirect-loop" })
        case "/unavailable":
          return send(503, {})
        case "/forbidden":
          return send(403, {})
        case "/slow":
          return // never answers
        default:
          return send(404, {})
      }
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    port = (server.address() as AddressInfo).port
    origin = `http://127.0.0.1:${port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it("matches allowed hosts exactly or by *.domain", () => {
    const allowed = ["docs.example.com", "*.filings.example.org", "127.0.0.1:8080"]
    const ok = (url: string) => isHostAllowed(new URL(url), allowed)
    expect(ok("https://docs.example.com/a.pdf")).toBe(true)
    expect(ok("https://DOCS.example.com:8443/a.pdf")).toBe(true)
    expect(ok("https://evil-docs.example.com/a.pdf")).toBe(false)
    expect(ok("https://docs.example.com.evil.net/a.pdf")).toBe(false)
    expect(ok("https://a.filings.example.org/x")).toBe(true)
    expect(ok("https://a.b.filings.example.org/x")).toBe(true)
    expect(ok("https://filings.example.org/x")).toBe(false)
    expect(ok("https://evilfilings.example.org/x")).toBe(false)
    expect(ok("http://127.0.0.1:8080/x")).toBe(true)
    expect(ok("http://127.0.0.1:9090/x")).toBe(false)
  })

  it("fetches from an allowed host, following redirects that stay allowed", async () => {
    const { read } = sourcesWith({ httpAllowedHosts: ["127.0.0.1"] })
    const got = await read(`${origin}/doc.txt`, { sha256: sha256(body) })
    expect(got.bytes.equals(body)).toBe(true)
    expect((await read(`${origin}/redirect-inside`)).bytes.equals(body)).toBe(true)
  })

  it("refuses hosts off the list, before any request and at every redirect hop", async () => {
    const { fail } = sourcesWith({ httpAllowedHosts: ["127.0.0.1"] })
    hostsSeen.length = 0
    const direct = await fail(`http://localhost:${port}/doc.txt?token=secret`)
    expect(direct.reason).toBe("host_not_allowed")
    expect(direct.retryable).toBe(false)
    expect(direct.message).not.toContain("secret")
    expect(hostsSeen).toEqual([])

    const redirected = await fail(`${origin}/redirect-outside`)
    expect(redirected.reason).toBe("host_not_allowed")
    expect(hostsSeen).toEqual([`127.0.0.1:${port} /redirect-outside`])
    expect((await fail(`${origin}/redirect-loop`)).reason).toBe("too_many_redirects")
  })

  it("caps the size by Content-Length and while streaming; maps statuses to retryable or not", async () => {
    const { fail } = sourcesWith({ httpAllowedHosts: ["127.0.0.1"], maxSourceBytes: 4_096 })
    const outcomes = await Promise.all(["/big", "/big-chunked", "/missing.pdf", "/forbidden", "/unavailable"].map(async (path) => {
      const error = await fail(`${origin}${path}`)
      return [path, error.reason, error.retryable]
    }))
    expect(outcomes).toEqual([
      ["/big", "too_large", false],
      ["/big-chunked", "too_large", false],
      ["/missing.pdf", "not_found", false],
      ["/forbidden", "http_status", false],
      ["/unavailable", "http_status", true]
    ])
  })

  it("refuses credentials in the URL without sending a request or showing them", async () => {
    const { fail } = sourcesWith({ httpAllowedHosts: ["127.0.0.1"] })
    hostsSeen.length = 0
    const error = await fail(`http://alice:SECRET@127.0.0.1:${port}/doc.txt?X-Amz-Signature=SIGVALUE`)
    expect([error.reason, error.retryable]).toEqual(["invalid_uri", false])
    expect(error.message).toContain("credentials")
    for (const secret of ["SECRET", "SIGVALUE", "alice"]) expect(error.message).not.toContain(secret)
    expect(hostsSeen).toEqual([])
  })

  it("fetches a presigned URL with its query but shows the query only masked", async () => {
    const { fail, read } = sourcesWith({ httpAllowedHosts: ["127.0.0.1"] })
    hostsSeen.length = 0
    const presigned = "X-Amz-Credential=CREDVALUE&X-Amz-Signature=SIGVALUE"
    expect((await read(`${origin}/doc.txt?${presigned}`)).bytes.equals(body)).toBe(true)
    expect(hostsSeen).toEqual([`127.0.0.1:${port} /doc.txt?${presigned}`])
    const unavailable = await fail(`${origin}/unavailable?${presigned}`)
    expect(unavailable.message).toContain(`${origin}/unavailable?X-Amz-Credential=***&X-Amz-Signature=***`)
    expect(unavailable.message).not.toMatch(/CREDVALUE|SIGVALUE/)
  })

  it("times out a server that does not answer (retryable), and a refused connection is retryable", async () => {
    const { fail } = sourcesWith({ httpAllowedHosts: ["127.0.0.1"] }, 300)
    const slow = await fail(`${origin}/slow`)
    expect([slow.reason, slow.retryable]).toEqual(["timeout", true])
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve))
    const closedPort = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const refused = await fail(`http://127.0.0.1:${closedPort}/doc.txt?token=SIGVALUE`)
    expect([refused.reason, refused.retryable]).toEqual(["network", true])
    expect(refused.message).not.toContain("SIGVALUE")
  })
})

describe("source URIs in messages", () => {
  it.each([
    ["http://user:SECRET@host/ok.txt?X-Amz-Signature=abc&X-Amz-Expires=60#frag", "http://host/ok.txt?X-Amz-Signature=***&X-Amz-Expires=***#***"],
    ["https://:pw@host:8443/a/b?token", "https://host:8443/a/b?***"],
    ["https://host/a@b/c?", "https://host/a@b/c?"],
    ["s3://key:secret@bucket/2025/a file.pdf", "s3://bucket/2025/a file.pdf"],
    ["file:///data/contracts/lease 1.pdf", "file:///data/contracts/lease 1.pdf"],
    ["not a uri at all", "not a uri at all"]
  ])("shows %s as %s", (uri, shown) => {
    expect(displayUri(uri)).toBe(shown)
  })

  it("redacts every URL inside a library's error text", () => {
    const text = "Request cannot be constructed from a URL that includes credentials: http://u:SECRET@h/x?sig=SIGVALUE (and 's3://a:b@c/d')"
    expect(redactUrls(text)).toBe("Request cannot be constructed from a URL that includes credentials: http://h/x?sig=*** (and 's3://c/d')")
  })
})

describe("s3:// sources through @aws-sdk/client-s3", () => {
  let s3: S3TestServer
  const saved: Record<string, string | undefined> = {}
  const credentials = {
    AWS_ACCESS_KEY_ID: "AKIDLEXSTREAMTEST",
    AWS_SECRET_ACCESS_KEY: "lexstream-test-secret",
    AWS_EC2_METADATA_DISABLED: "true"
  }
  const pdf = Buffer.from("%PDF-1.7\n% a filing\n".repeat(50))

  beforeAll(async () => {
    // The SDK's default credential chain reads the environment first.
    for (const [name, value] of Object.entries(credentials)) {
      saved[name] = process.env[name]
      process.env[name] = value
    }
    s3 = await startS3Server()
    s3.put("filings", "2025/complaint 1.pdf", pdf, { contentType: "application/pdf" })
    s3.put("filings", "big.pdf", Buffer.alloc(5_000))
    s3.put("filings", "big-chunked.pdf", Buffer.alloc(300_000), { chunked: true })
  })
  afterAll(async () => {
    await s3.close()
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  const config = (overrides: AppConfigOverrides = {}): AppConfigOverrides => ({ s3Endpoint: s3.endpoint, s3Region: "us-east-1", ...overrides })

  it("reads an object path-style with a signed request", async () => {
    const got = await sourcesWith(config()).read("s3://filings/2025/complaint 1.pdf", { sha256: sha256(pdf) })
    expect(got.bytes.equals(pdf)).toBe(true)
    const request = s3.requests.at(-1)!
    expect(request.path).toBe("/filings/2025/complaint%201.pdf")
    expect(request.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLEXSTREAMTEST\/\d{8}\/us-east-1\/s3\/aws4_request/)
  })

  it("maps NoSuchKey/NoSuchBucket to not_found, enforces the size cap, classifies S3 errors", async () => {
    const { fail } = sourcesWith(config({ maxSourceBytes: 4_096 }))
    const outcome = async (uri: string) => {
      const error = await fail(uri)
      return [error.reason, error.retryable]
    }
    expect(await outcome("s3://filings/missing.pdf")).toEqual(["not_found", false])
    expect(await outcome("s3://no-such-bucket/a.pdf")).toEqual(["not_found", false])
    expect(await outcome("s3://filings/big.pdf")).toEqual(["too_large", false])
    expect(await outcome("s3://filings/big-chunked.pdf")).toEqual(["too_large", false])
    expect(await outcome("s3://filings")).toEqual(["invalid_uri", false])
    const withCredentials = await fail("s3://AKID:SECRET@filings/2025/complaint 1.pdf")
    expect([withCredentials.reason, withCredentials.retryable, withCredentials.message.includes("SECRET")]).toEqual(["invalid_uri", false, false])
    s3.failNext(403, "AccessDenied")
    expect(await outcome("s3://filings/2025/complaint 1.pdf")).toEqual(["s3_error", false])
    // Throttling survives the SDK's own retries (3 attempts) and stays retryable for the stage.
    for (let i = 0; i < 3; i++) s3.failNext(503, "SlowDown")
    const throttled = await fail("s3://filings/2025/complaint 1.pdf")
    expect([throttled.reason, throttled.retryable]).toEqual(["s3_error", true])
    expect(throttled.message).toContain("SlowDown")
  })
})
