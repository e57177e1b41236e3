import { LatencyRecorder } from "./harness.ts"
const rows: Array<[number, number]> = []
const origStart = LatencyRecorder.prototype.start, origEnd = LatencyRecorder.prototype.end
const due = new Map<string, number>()
LatencyRecorder.prototype.start = function (id: string, at?: number) { due.set(id, at ?? performance.now()); return origStart.call(this, id, at) }
LatencyRecorder.prototype.end = function (id: string) { const d = due.get(id); if (d !== undefined) rows.push([d, performance.now() - d]); return origEnd.call(this, id) }
const lags: string[] = []
let last = performance.now()
setInterval(() => { const now = performance.now(); if (now - last > 25) lags.push(`${(last / 1000).toFixed(3)}s+${(now - last).toFixed(0)}`); last = now }, 5).unref()
const { run } = await import("./lexstream-system.ts")
const r = await run({ documents: 1000, warmup: 200, ratePerSecond: 200, redisUrl: "redis://127.0.0.1:6379", prefix: "lextl:" })
console.log(JSON.stringify({ p50: r.p50Ms, p99: r.p99Ms }))
const t0 = 0
const slow = rows.slice(200).filter(([, l]) => l > 15).map(([d, l]) => `${((d - t0) / 1000).toFixed(3)}s:${l.toFixed(1)}`)
console.log("slow (>15ms):", slow.length, slow.join(" "))
console.log("loop lags:", lags.join(" "))
process.exit(0)
