'use strict'
// The README's Node quickstart (examples/quickstart.mjs) runs as a script
// against the emulator, prints each experience and delivers every callback.

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { promisify } = require('node:util')
const { after, before, test } = require('node:test')

const { startEmulator } = require('./helpers/emulator')

const QUICKSTART = path.join(__dirname, '..', 'examples', 'quickstart.mjs')

let emulator
before(async () => {
  emulator = await startEmulator()
})
after(() => emulator.stop())

test('the quickstart prints the experiences and delivers every callback', async () => {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [QUICKSTART, emulator.url, 'retail_shop', 'vip-1'],
    { timeout: 30_000 },
  )

  const lines = stdout.split('\n').filter((line) => line.startsWith('experience '))
  assert.deepEqual(
    lines.map((line) => line.split(':')[0]),
    [144119, 151203, 152877, 160045, 171004].map((id) => `experience ${id}`),
  )
  assert.ok(lines.includes('experience 160045: {}'))
  assert.equal(stderr, '')
  const delivered = (await emulator.callbacks()).map((c) => c.decision.ExperienceId).sort()
  assert.deepEqual(delivered, [144119, 151203, 152877, 160045, 171004])
})
