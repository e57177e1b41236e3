import { describe, expect, it } from "vitest"
import { clusterSeeds } from "../src/services/redis.ts"

describe("cluster seeds from LEXSTREAM_REDIS_URL", () => {
  it("takes every comma-separated URL as a seed node, the password of one for all, TLS from rediss", () => {
    expect(clusterSeeds("redis://127.0.0.1:7000, redis://:s3cret@127.0.0.1:7001,redis://10.0.0.3")).toEqual({
      nodes: [{ host: "127.0.0.1", port: 7000 }, { host: "127.0.0.1", port: 7001 }, { host: "10.0.0.3", port: 6379 }],
      tls: false,
      password: "s3cret",
      username: undefined
    })
    expect(clusterSeeds("rediss://app:p%40ss@redis.example.com:6380")).toMatchObject({ tls: true, username: "app", password: "p@ss" })
  })

  it("refuses a setting that names no node", () => {
    expect(() => clusterSeeds(" , ")).toThrow(/names no cluster node/)
    expect(() => clusterSeeds("redis://a:6379,not a url with s3cret")).toThrow(/^LEXSTREAM_REDIS_URL: seed 2 is not a redis:\/\/ URL$/)
  })
})
