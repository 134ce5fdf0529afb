'use strict'
// Hundreds of fetches in flight do not block the event loop nor occupy
// libuv's thread pool: they run on the binding's own threads.

const assert = require('node:assert/strict')
const fs = require('node:fs/promises')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { after, before, test } = require('node:test')

const { Client } = require('..')
const { startEmulator } = require('./helpers/emulator')

const IN_FLIGHT = 300
const LATENCY_MS = 400
// A blocked loop or pool would make a timer or fs call wait a whole
// LATENCY_MS; the bound below it leaves room for a busy 2-core machine.
const RESPONSIVE_MS = 150

let emulator
before(async () => {
  emulator = await startEmulator()
  await emulator.setFaults([{ on: 'experiences', kind: 'latency', ms: LATENCY_MS }])
})
after(() => emulator.stop())

test(`${IN_FLIGHT} slow fetches in flight leave timers, fs and the libuv pool responsive`, async (t) => {
  const client = new Client('retail_shop', { baseUrl: emulator.url, timeoutMs: 10000 })
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()

  const started = Date.now()
  const fetches = Array.from({ length: IN_FLIGHT }, (_, i) => client.getExperiences({ contextId: `visitor-${i}` }))

  // While they are in flight: a timer fires on time and an fs call, which
  // needs a libuv pool thread, finishes at once.
  const timerLate = await new Promise((resolve) => {
    const set = Date.now()
    setTimeout(() => resolve(Date.now() - set - 20), 20)
  })
  const fsStarted = Date.now()
  await fs.stat(__filename)
  const fsMs = Date.now() - fsStarted

  const answers = await Promise.all(fetches)
  const elapsed = Date.now() - started
  delay.disable()
  await client.close()

  assert.equal(answers.length, IN_FLIGHT)
  assert.ok(answers.every((answer) => answer.experiences.length > 0))
  const report = `timer late ${timerLate} ms, fs.stat ${fsMs} ms, all done in ${elapsed} ms, loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms max ${(delay.max / 1e6).toFixed(1)} ms`
  // Four pool threads would need IN_FLIGHT / 4 * LATENCY_MS = 30 s.
  assert.ok(elapsed < 5000, report)
  assert.ok(timerLate < RESPONSIVE_MS, report)
  assert.ok(fsMs < RESPONSIVE_MS, report)
  assert.ok(delay.percentile(99) / 1e6 < 50, report)
  t.diagnostic(report)
})
