import { spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { parseYamlSubset, type YamlValue } from "./support/yaml-subset.ts"

/**
 * docker-compose.yml cannot be brought up here (no container engine), so what can be checked is:
 * the YAML parses, every service the README promises is there and wired to the others, and every
 * path it mounts or builds from exists in the repository.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url))
const read = (path: string) => readFileSync(join(ROOT, path), "utf8")

type Mapping = { [key: string]: YamlValue }
const asMapping = (value: YamlValue | undefined, what: string): Mapping => {
  if (value === null || value === undefined || typeof value === "string" || Array.isArray(value)) throw new Error(`${what} is not a mapping`)
  return value
}
const asList = (value: YamlValue | undefined): Array<string> => (Array.isArray(value) ? value.map(String) : [])

const compose = asMapping(parseYamlSubset(read("docker-compose.yml")), "docker-compose.yml")
const services = asMapping(compose.services, "services")
const service = (name: string) => asMapping(services[name], `service ${name}`)

describe("docker-compose.yml", () => {
  it("has Redis with AOF, PostgreSQL, the worker + projector, Prometheus and Grafana", () => {
    expect(Object.keys(services).sort()).toEqual(["grafana", "lexstream", "postgres", "prometheus", "redis"])
    expect(asList(service("redis").command).join(" ")).toContain("--appendonly yes")

    const worker = service("lexstream")
    expect(worker.build).toBe(".")
    expect(asList(worker.command)).toEqual(["node", "bin/lexstream.js", "worker", "--projector"])
    const env = asMapping(worker.environment, "lexstream environment")
    expect(env.LEXSTREAM_REDIS_URL).toBe("redis://redis:6379")
    const postgres = asMapping(service("postgres").environment, "postgres environment")
    expect(env.DATABASE_URL).toBe(`postgres://postgres:${postgres.POSTGRES_PASSWORD}@postgres:5432/${postgres.POSTGRES_DB}`)
    expect(Object.keys(asMapping(worker.depends_on, "depends_on")).sort()).toEqual(["postgres", "redis"])

    // Prometheus scrapes the worker's metrics port by its service name; Grafana's datasource finds Prometheus by its.
    expect(read("grafana/prometheus.compose.yml")).toContain(`lexstream:${env.LEXSTREAM_METRICS_PORT}`)
    expect(read("grafana/provisioning/datasources/prometheus.yaml")).toMatch(/url: http:\/\/prometheus:9090/)
    expect(asList(service("grafana").volumes)).toContain("./grafana/dashboards:/var/lib/grafana/dashboards:ro")
    expect(read("grafana/provisioning/dashboards/lexstream.yaml")).toContain("path: /var/lib/grafana/dashboards")
  })

  it("every bind-mounted path exists, every named volume is declared, and the image builds from a Dockerfile that runs npm ci", () => {
    const declared = Object.keys(asMapping(compose.volumes, "volumes"))
    const mounts = Object.entries(services).flatMap(([name, value]) => asList(asMapping(value, name).volumes).map((mount) => ({ name, mount })))
    expect(mounts.length).toBeGreaterThanOrEqual(6)
    for (const { name, mount } of mounts) {
      const source = mount.split(":")[0]!
      if (source.startsWith(".") || source.startsWith("/")) expect(existsSync(join(ROOT, source)), `${name}: ${source}`).toBe(true)
      else expect(declared, `${name}: named volume ${source}`).toContain(source)
    }
    const dockerfile = read("Dockerfile")
    expect(dockerfile).toMatch(/^FROM node:22/m)
    expect(dockerfile).toMatch(/^RUN npm ci/m)
    expect(read(".dockerignore")).toMatch(/^node_modules$/m)
  })

  it.skipIf(spawnSync("promtool", ["--version"]).error !== undefined)("the Prometheus config it mounts passes promtool check config (alert rules included)", () => {
    const check = spawnSync("promtool", ["check", "config", join(ROOT, "grafana/prometheus.compose.yml")], { encoding: "utf8" })
    expect(check.status, check.stdout + check.stderr).toBe(0)
    expect(check.stdout).toMatch(/SUCCESS: .*rules found/)
  })

  it("the YAML subset parser refuses what it does not understand instead of guessing", () => {
    expect(parseYamlSubset("a:\n  b: \"x # y\" # comment\n  c:\n    - 1\n    - k: v\n      l: w\n")).toEqual({ a: { b: "x # y", c: ["1", { k: "v", l: "w" }] } })
    expect(() => parseYamlSubset("a: [1, 2]\n")).toThrow(/line 1: .*outside the supported YAML subset/)
    expect(() => parseYamlSubset("a: 1\na: 2\n")).toThrow(/line 2: duplicate key 'a'/)
    expect(() => parseYamlSubset("a: 1\n   b: 2\n")).toThrow(/line 2: unexpected indentation/)
  })
})
