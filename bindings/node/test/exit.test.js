'use strict'
// The callback queue's threads never keep a process alive: after close()
// the process exits at once with every callback delivered, and a process
// that never closes exits at once too (its queued callbacks are lost).

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { after, before, beforeEach, test } = require('node:test')

const { startEmulator } = require('./helpers/emulator')

const CHILD = path.join(__dirname, 'children', 'queue-callbacks.js')

let emulator
before(async () => {
  emulator = await startEmulator()
})
beforeEach(() => emulator.reset())
after(() => emulator.stop())

/** Runs the child; resolves with its report and when it exited. */
function runChild(mode, count) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, emulator.url, mode, String(count)], { timeout: 20000 }, (error, stdout, stderr) => {
      const exited = Date.now()
      if (error) return reject(new Error(`${error.message}\n${stderr}`))
      resolve({ ...JSON.parse(stdout), exited })
    })
  })
}

test('after close() resolves every queued callback is delivered and the process exits promptly', async () => {
  await emulator.setFaults([{ on: 'callback', kind: 'latency', ms: 100 }])

  const child = await runChild('close', 6)

  assert.equal(child.stats.callbacksQueued, 6)
  assert.equal(child.stats.callbacksSent, 6)
  assert.equal((await emulator.callbacks()).length, 6)
  assert.ok(child.exited - child.done < 1000, `exited ${child.exited - child.done} ms after close`)
})

test('a process that never closes exits without waiting for its queued callbacks', async () => {
  await emulator.setFaults([{ on: 'callback', kind: 'latency', ms: 10000 }])

  const child = await runChild('no-close', 6)

  assert.equal(child.stats.callbacksQueued, 6)
  assert.ok(child.exited - child.done < 1500, `exited ${child.exited - child.done} ms after its last line`)
})
