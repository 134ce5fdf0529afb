// Throughput and event-loop lag of this package against Node's built-in
// fetch, both at 64 requests in flight against a local emulator, plus one
// sequential fetch's latency. Not run by the tests (timings depend on the
// machine); run it by hand after `npm install`, with a release emulator so
// that the emulator is not what is measured:
//
//   cargo build --release -p qubit-experiences-cli
//   node bench/fetch-bench.mjs [seconds per run, default 3]

import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { Client } from 'qubit-experiences'

const require = createRequire(import.meta.url)
const releaseCli = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../../../target/release/qubit-experiences')
if (!process.env.QUBIT_EXPERIENCES_CLI && fs.existsSync(releaseCli)) process.env.QUBIT_EXPERIENCES_CLI = releaseCli
const { startEmulator } = require('../test/helpers/emulator.js')

const IN_FLIGHT = 64
const SECONDS = Number(process.argv[2] ?? 3)

/** Runs `call` from IN_FLIGHT loops for SECONDS; counts calls and loop lag. */
async function measure(name, call) {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  let done = 0
  let failed = 0
  const stopAt = performance.now() + SECONDS * 1000

  delay.enable()
  const started = performance.now()
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, loop) => {
      for (let i = 0; performance.now() < stopAt; i++) {
        try {
          await call(`visitor-${loop}-${i % 100}`)
          done++
        } catch {
          failed++
        }
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  delay.disable()

  const result = {
    name,
    perSecond: Math.round(done / seconds),
    failed,
    lagP99Ms: +(delay.percentile(99) / 1e6).toFixed(2),
    lagMaxMs: +(delay.max / 1e6).toFixed(2),
  }
  console.log(JSON.stringify(result))
  return result
}

/** The median of `count` sequential calls, in microseconds. */
async function sequential(call, count = 300) {
  const times = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    await call(`visitor-${i}`)
    times.push((performance.now() - started) * 1000)
  }
  times.sort((a, b) => a - b)
  return Math.round(times[Math.floor(count / 2)])
}

const emulator = await startEmulator()
try {
  const url = `${emulator.url}/v1/retail_shop/experiences?contextId=`
  const viaFetch = async (contextId) => {
    const response = await fetch(url + encodeURIComponent(contextId))
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    return response.json()
  }
  const client = new Client('retail_shop', { baseUrl: emulator.url })
  const viaPackage = (contextId) => client.getExperiences({ contextId })

  // Warm both up: connections, JIT, the pool's threads.
  await measure('warm-up fetch', viaFetch)
  await measure('warm-up qubit-experiences', viaPackage)

  const fetchRun = await measure('built-in fetch', viaFetch)
  const packageRun = await measure('qubit-experiences', viaPackage)
  console.log(
    JSON.stringify({
      inFlight: IN_FLIGHT,
      ratio: +(packageRun.perSecond / fetchRun.perSecond).toFixed(2),
      sequentialMedianUs: { fetch: await sequential(viaFetch), package: await sequential(viaPackage) },
    }),
  )
  await client.close()
} finally {
  emulator.stop()
}
