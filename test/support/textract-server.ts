import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/**
 * Just enough of Amazon Textract's AWS JSON 1.1 protocol (POST /, `X-Amz-Target: Textract.<Op>`,
 * JSON bodies, errors as `{"__type": …}`) for the real @aws-sdk/client-textract: DetectDocumentText,
 * StartDocumentTextDetection (the document read from the test S3 server) and
 * GetDocumentTextDetection with IN_PROGRESS polls, NextToken paging and injected throttling.
 *
 * The "recognition" reads the bytes as UTF-8 text: pages split on form feeds, lines on newlines,
 * and `left | right` puts two LINE blocks side by side on one row. Blocks are answered in reverse
 * order, so a client must rebuild reading order from the geometry. A blank page has no LINE block.
 */

interface Line {
  readonly text: string
  readonly top: number
  readonly left: number
}

interface Job {
  readonly pages: ReadonlyArray<ReadonlyArray<Line>>
  pollsLeft: number
}

const LINE_HEIGHT = 0.02

export const pagesOf = (bytes: Buffer, textOf: (bytes: Buffer) => string = (raw) => raw.toString("utf8")): ReadonlyArray<ReadonlyArray<Line>> =>
  textOf(bytes).split("\f").map((page) =>
    page.split("\n").flatMap((row, index) =>
      row.split(" | ").map((text, column) => ({ text: text.trim(), top: 0.05 + index * 0.03, left: 0.1 + column * 0.45 }))
    ).filter((line) => line.text !== "")
  )

const blocksOf = (pages: ReadonlyArray<ReadonlyArray<Line>>, pageField: boolean) => {
  const blocks: Array<Record<string, unknown>> = []
  pages.forEach((lines, index) => {
    const page = index + 1
    blocks.push({ BlockType: "PAGE", Id: randomUUID(), ...(pageField ? { Page: page } : {}), Geometry: { BoundingBox: { Left: 0, Top: 0, Width: 1, Height: 1 } } })
    for (const line of lines) {
      blocks.push({
        BlockType: "LINE",
        Id: randomUUID(),
        Text: line.text,
        // 90..99, derived from the text so it is stable across calls.
        Confidence: 90 + (line.text.length % 10),
        ...(pageField ? { Page: page } : {}),
        Geometry: { BoundingBox: { Left: line.left, Top: line.top, Width: 0.4, Height: LINE_HEIGHT } }
      })
    }
  })
  return blocks.reverse()
}

export const lineConfidence = (text: string) => (90 + (text.length % 10)) / 100

export const startTextractServer = async (options: {
  /** Reads the object a StartDocumentTextDetection names (the test S3 server's `get`). */
  readonly readObject: (bucket: string, key: string) => Buffer | undefined
  /** Blocks per GetDocumentTextDetection answer, to force NextToken paging. */
  readonly blocksPerPage?: number
  /** What the "recognition" reads in a document (pages split on form feeds); default: its bytes as UTF-8. */
  readonly textOf?: (bytes: Buffer) => string
}) => {
  const calls: Record<string, number> = {}
  const jobs = new Map<string, Job>()
  const injected: Array<string> = []
  let everyRequest: string | undefined
  let pagesBilled = 0
  let inProgressPolls = 2
  const blocksPerPage = options.blocksPerPage ?? 1000

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body)
    res.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": randomUUID(),
      ...headers
    })
    res.end(text)
  }
  const error = (res: ServerResponse, type: string, message: string, status = 400) =>
    send(res, status, { __type: type, message }, { "x-amzn-errortype": type })

  const operations: Record<string, (body: any, res: ServerResponse) => void> = {
    DetectDocumentText: (body, res) => {
      const bytes = Buffer.from(body.Document?.Bytes ?? "", "base64")
      const pages = pagesOf(bytes, options.textOf)
      if (pages.length !== 1) return error(res, "UnsupportedDocumentException", "The document has more than one page")
      pagesBilled += 1
      send(res, 200, { DocumentMetadata: { Pages: 1 }, Blocks: blocksOf(pages, false), DetectDocumentTextModelVersion: "1.0" })
    },
    StartDocumentTextDetection: (body, res) => {
      const location = body.DocumentLocation?.S3Object ?? {}
      const bytes = options.readObject(location.Bucket, location.Name)
      if (bytes === undefined) return error(res, "InvalidS3ObjectException", `Unable to get object ${location.Bucket}/${location.Name}`)
      const pages = pagesOf(bytes, options.textOf)
      pagesBilled += pages.length
      const jobId = randomUUID().replace(/-/g, "")
      jobs.set(jobId, { pages, pollsLeft: inProgressPolls })
      send(res, 200, { JobId: jobId })
    },
    GetDocumentTextDetection: (body, res) => {
      const job = jobs.get(body.JobId)
      if (job === undefined) return error(res, "InvalidJobIdException", "Request has invalid Job Id")
      if (job.pollsLeft > 0) {
        job.pollsLeft--
        return send(res, 200, { JobStatus: "IN_PROGRESS", DocumentMetadata: { Pages: job.pages.length } })
      }
      const blocks = blocksOf(job.pages, true)
      const start = body.NextToken === undefined ? 0 : Number(body.NextToken)
      const size = Math.min(body.MaxResults ?? 1000, blocksPerPage)
      const end = start + size
      send(res, 200, {
        JobStatus: "SUCCEEDED",
        DocumentMetadata: { Pages: job.pages.length },
        Blocks: blocks.slice(start, end),
        ...(end < blocks.length ? { NextToken: String(end) } : {}),
        DetectDocumentTextModelVersion: "1.0"
      })
    }
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const parts: Array<Buffer> = []
    req.on("data", (part: Buffer) => parts.push(part))
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "")
      const operation = target.replace(/^Textract\./, "")
      calls[operation] = (calls[operation] ?? 0) + 1
      if (req.method !== "POST" || !String(req.headers["content-type"]).startsWith("application/x-amz-json-1.1")) {
        return error(res, "SerializationException", "expected POST with application/x-amz-json-1.1")
      }
      const fault = injected.shift() ?? everyRequest
      if (fault !== undefined) return error(res, fault, "Rate exceeded")
      const run = operations[operation]
      if (run === undefined) return error(res, "UnknownOperationException", `unknown operation ${target}`)
      run(JSON.parse(Buffer.concat(parts).toString("utf8") || "{}"), res)
    })
  }

  const server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** Requests received, by operation (throttled ones included). */
    calls: (operation: string) => calls[operation] ?? 0,
    pagesBilled: () => pagesBilled,
    /** New jobs answer IN_PROGRESS this many times before SUCCEEDED. */
    setInProgressPolls: (polls: number) => {
      inProgressPolls = polls
    },
    /** Lets every running job finish on its next poll. */
    finishJobs: () => {
      for (const job of jobs.values()) job.pollsLeft = 0
    },
    /** The next `count` requests are answered with this error (e.g. ThrottlingException). */
    failNext: (type: string, count = 1) => {
      for (let i = 0; i < count; i++) injected.push(type)
    },
    /** Answers every request with this error (after the queued ones) until called without one: an outage. */
    failAll: (type?: string) => {
      everyRequest = type
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export type TextractTestServer = Awaited<ReturnType<typeof startTextractServer>>
