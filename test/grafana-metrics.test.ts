import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { makeMetrics } from "../src/services/metrics.ts"

const read = (path: string) => readFileSync(new URL(`../grafana/${path}`, import.meta.url), "utf8")

/** Every `lexstream_*` series a query names, reduced to its metric (histogram suffixes dropped). */
const metricsNamedIn = (text: string) =>
  new Set([...text.matchAll(/\blexstream_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, "")))

describe("grafana dashboards and alerts", () => {
  it("query only metrics lexstream exports", async () => {
    const exported = new Set((await makeMetrics().registry.getMetricsAsJSON()).map((metric) => metric.name))
    const named = new Set([...metricsNamedIn(read("dashboards/lexstream-pipeline.json")), ...metricsNamedIn(read("alerts.yml"))])
    const missing = [...named].filter((name) => !exported.has(name))
    expect(missing).toEqual([])
    expect(named.size).toBeGreaterThan(10)
  })
})
