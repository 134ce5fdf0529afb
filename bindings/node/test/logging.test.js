'use strict'
// setLogger: the core's log records reach a JavaScript handler, filtered by
// level in Rust, asynchronously and boundedly, without crashing on a
// throwing handler or keeping the process alive.

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { after, afterEach, before, test } = require('node:test')

const { Client, setLogger, loggingStats, __logForTests } = require('..')
const { startEmulator } = require('./helpers/emulator')

const CHILD = path.join(__dirname, 'children', 'logger.js')

let emulator
before(async () => {
  emulator = await startEmulator()
})
afterEach(() => setLogger(null))
after(() => emulator.stop())

/** Waits until `records` holds `count` records (or a second has passed). */
async function received(records, count) {
  const deadline = Date.now() + 1000
  while (records.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return records
}

/** Lets every record already queued reach the handler. */
const drain = () => new Promise((resolve) => setTimeout(resolve, 50))

test('a warning of the core reaches the handler as { level, target, message }', async () => {
  const records = []
  setLogger((record) => records.push(record))
  const client = new Client('no_such_property', { baseUrl: emulator.url })

  const answer = await client.getExperiencesFailOpen({ contextId: 'visitor-1' })
  await client.close()

  assert.equal(answer.source, 'fallback')
  const [record] = await received(records, 1)
  assert.deepEqual(Object.keys(record).sort(), ['level', 'message', 'target'])
  assert.equal(record.level, 'warn')
  assert.equal(record.target, 'qubit_experiences::client')
  assert.match(record.message, /^serving default content: /)
})

test('the handler is called asynchronously, on the JavaScript thread', async () => {
  const records = []
  setLogger((record) => records.push(record))
  __logForTests('error', 'now', 1)
  assert.equal(records.length, 0)
  assert.deepEqual(await received(records, 1), [{ level: 'error', target: 'qubit_experiences::tests', message: 'now' }])
})

test('records below the level never reach the handler; the default level is warn', async () => {
  const levels = ['error', 'warn', 'info', 'debug', 'trace']
  const seen = async (options) => {
    const records = []
    setLogger((record) => records.push(record.level), options)
    for (const level of levels) __logForTests(level, `a ${level} record`, 1)
    await drain()
    return records
  }
  const before = loggingStats()

  assert.deepEqual(await seen(undefined), ['error', 'warn'])
  assert.deepEqual(await seen({}), ['error', 'warn'])
  assert.deepEqual(await seen({ level: 'error' }), ['error'])
  assert.deepEqual(await seen({ level: 'info' }), ['error', 'warn', 'info'])
  assert.deepEqual(await seen({ level: 'trace' }), levels)
  assert.deepEqual(await seen({ level: 'off' }), [])
  // Filtered records are not dropped ones: they were never queued.
  assert.equal(loggingStats().dropped, before.dropped)
})

test('setLogger(null) removes the handler, and records it had not received are dropped', async () => {
  const records = []
  setLogger((record) => records.push(record))
  __logForTests('warn', 'delivered', 1)
  await received(records, 1)
  const before = loggingStats()

  __logForTests('warn', 'queued, then the handler goes', 3)
  setLogger(null)
  __logForTests('error', 'no handler', 1)
  await drain()

  assert.deepEqual(records.map((record) => record.message), ['delivered'])
  assert.equal(loggingStats().dropped - before.dropped, 3)
  setLogger(undefined) // removing twice is fine
})

test('a new handler replaces the previous one', async () => {
  const first = []
  const second = []
  setLogger((record) => first.push(record.message))
  setLogger((record) => second.push(record.message))
  __logForTests('warn', 'one', 1)
  await received(second, 1)
  await drain()
  assert.deepEqual(first, [])
  assert.deepEqual(second, ['one'])
})

test('a throwing handler does not crash the process; its errors are counted', async () => {
  const uncaught = []
  const onUncaught = (error) => uncaught.push(error)
  process.on('uncaughtException', onUncaught)
  try {
    let calls = 0
    const before = loggingStats()
    setLogger(() => {
      calls += 1
      throw new Error('a broken handler')
    })
    __logForTests('warn', 'boom', 3)
    const client = new Client('no_such_property', { baseUrl: emulator.url })
    const answer = await client.getExperiencesFailOpen({ contextId: 'visitor-1' })
    await client.close()
    await drain()

    assert.equal(answer.source, 'fallback')
    assert.equal(calls, 4)
    assert.equal(loggingStats().handlerErrors - before.handlerErrors, 4)
    assert.deepEqual(uncaught, [])
  } finally {
    process.off('uncaughtException', onUncaught)
  }
})

test('a backed-up JavaScript thread costs the logging thread nothing: records are dropped and counted', async () => {
  const records = []
  setLogger((record) => records.push(record))
  const before = loggingStats()

  // The JavaScript thread logs 20,000 records itself, so none can be
  // delivered meanwhile: the queue fills at 1000 and the rest are dropped.
  const started = process.hrtime.bigint()
  __logForTests('warn', 'flood', 20000)
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
  await drain()

  const dropped = loggingStats().dropped - before.dropped
  assert.equal(records.length, 1000)
  assert.equal(records.length + dropped, 20000)
  assert.ok(elapsedMs < 1000, `logging 20,000 records took ${elapsedMs} ms`)
})

test('argument errors', () => {
  assert.throws(() => setLogger('console'), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => setLogger(() => {}, { level: 'verbose' }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  assert.throws(() => setLogger(() => {}, { level: 2 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => setLogger(() => {}, { levle: 'warn' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
})

test('a process with a handler installed exits as soon as its work is done', async () => {
  const child = await new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, emulator.url], { timeout: 20000 }, (error, stdout, stderr) => {
      const exited = Date.now()
      if (error) return reject(new Error(`${error.message}\n${stderr}`))
      resolve({ ...JSON.parse(stdout), exited })
    })
  })
  assert.equal(child.source, 'fallback')
  assert.ok(child.records.some((record) => record.level === 'warn' && record.message.startsWith('serving default content: ')))
  assert.ok(child.exited - child.done < 1000, `exited ${child.exited - child.done} ms after its last line`)
})

test('setLogger fails clearly when another logger owns the log facade', async () => {
  const script = `
    const q = require(${JSON.stringify(path.join(__dirname, '..'))})
    if (!q.__takeLoggerForTests()) throw new Error('the facade was already taken')
    q.setLogger(null) // removing nothing still works
    try {
      q.setLogger(() => {})
    } catch (error) {
      console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }))
    }
  `
  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { timeout: 20000 }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
    )
  })
  const thrown = JSON.parse(stdout)
  assert.equal(thrown.name, 'Error')
  assert.equal(thrown.code, 'ERR_QUBIT_LOGGER_TAKEN')
  assert.match(thrown.message, /already installed .* Rust `log` logger/)
})
