'use strict'
// The package loads from CommonJS and ESM with the same exports, and
// index.d.ts declares each of them.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const cjs = require('qubit-experiences')

const publicNames = (module) => Object.keys(module).filter((name) => !name.startsWith('__') && name !== 'default').sort()

test('ESM and CommonJS export the same objects', async () => {
  const esm = await import('qubit-experiences')
  assert.deepEqual(publicNames(esm), publicNames(cjs))
  for (const name of publicNames(cjs)) assert.equal(esm[name], cjs[name], name)
  assert.equal(esm.default, cjs)
})

test('index.d.ts declares every export', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  for (const name of publicNames(cjs)) {
    assert.match(dts, new RegExp(`export declare (class|function|const) ${name}\\b`), name)
  }
})

test('version is the core version in Cargo.toml', () => {
  const cargo = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'Cargo.toml'), 'utf8')
  assert.equal(cjs.version, /^version = "([^"]+)"/m.exec(cargo)[1])
  assert.equal(cjs.COOKIE_NAME, '_qubitTracker')
})

test('the User-Agent names the Node binding and its version', async () => {
  const { startEmulator } = require('./helpers/emulator')
  const emulator = await startEmulator()
  try {
    const client = new cjs.Client('retail_shop', { baseUrl: emulator.url })
    await client.getExperiences({ contextId: 'v' })
    const [request] = await emulator.requests()
    assert.equal(request.userAgent, `qubit-experiences/${cjs.version} (node/${process.versions.node})`)
    await client.close()
  } finally {
    emulator.stop()
  }
})
