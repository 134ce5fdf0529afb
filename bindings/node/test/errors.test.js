'use strict'
// Every error code: the table matches the core's, and each code the
// package can produce arrives as a QubitError with that code and status.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { after, before, beforeEach, describe, test } = require('node:test')

const qubit = require('..')
const { Client, QubitError } = qubit
const { startEmulator, REPO } = require('./helpers/emulator')

/** The core's table, read from its source: `Name = N` and `Name => "NAME"`. */
function coreCodeTable() {
  const source = fs.readFileSync(path.join(REPO, 'core', 'src', 'error.rs'), 'utf8')
  const numbers = Object.fromEntries([...source.matchAll(/^\s+(\w+) = (\d+),$/gm)].map((m) => [m[1], Number(m[2])]))
  const names = Object.fromEntries([...source.matchAll(/ErrorCode::(\w+) => "([A-Z_]+)"/g)].map((m) => [m[1], m[2]]))
  assert.ok(Object.keys(numbers).length >= 11)
  return Object.fromEntries(Object.entries(numbers).map(([variant, number]) => [names[variant], number]))
}

function isQubitError(code, status) {
  return (error) => {
    assert.ok(error instanceof QubitError, `not a QubitError: ${error && error.stack}`)
    assert.ok(error instanceof Error)
    assert.equal(error.name, 'QubitError')
    assert.equal(error.code, code, error.message)
    assert.equal(error.status, status)
    assert.equal(typeof error.message, 'string')
    return true
  }
}

describe('the error code table', () => {
  test('equals the core table, names and numbers', () => {
    assert.deepEqual({ ...qubit.errorCodes }, coreCodeTable())
    assert.ok(Object.isFrozen(qubit.errorCodes))
  })

  test('is the ErrorCode union of index.d.ts', () => {
    const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
    const union = /export type ErrorCode =([^]*?)\n\n/.exec(dts)[1]
    const declared = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1])
    assert.deepEqual(declared, Object.keys(coreCodeTable()))
  })

  test('QubitError can be built and checked like any Error', () => {
    const error = new QubitError('gone', 'NOT_FOUND', 404)
    assert.equal(error.stack.split('\n')[0], 'QubitError: gone')
    assert.deepEqual([error.code, error.status], ['NOT_FOUND', 404])
    assert.equal('status' in new QubitError('x', 'CLOSED'), false)
  })
})

describe('errors from the service and the client', () => {
  let emulator
  before(async () => {
    emulator = await startEmulator()
  })
  beforeEach(() => emulator.reset())
  after(() => emulator.stop())

  const client = (options = {}) =>
    new Client('retail_shop', { baseUrl: emulator.url, backoff: { firstMs: 1, maxMs: 2 }, ...options })

  test('INVALID_ARGUMENT: the core rejects the value, nothing is sent', async () => {
    assert.throws(() => new Client('no spaces'), isQubitError('INVALID_ARGUMENT', undefined))
    assert.throws(() => new Client('shop', { baseUrl: 'ftp://x' }), isQubitError('INVALID_ARGUMENT', undefined))
    assert.throws(() => new Client('shop', { timeoutMs: 0 }), isQubitError('INVALID_ARGUMENT', undefined))
    await assert.rejects(client().getExperiences({ contextId: '' }), isQubitError('INVALID_ARGUMENT', undefined))
    assert.deepEqual(await emulator.requests(), [])
  })

  test('NOT_FOUND carries status 404', async () => {
    await assert.rejects(new Client('nobody', { baseUrl: emulator.url }).getExperiences(), (error) => {
      isQubitError('NOT_FOUND', 404)(error)
      assert.equal('bodyExcerpt' in error, false)
      return true
    })
  })

  test('HTTP_STATUS carries the status, after the retries', async () => {
    await emulator.setFaults([{ on: 'experiences', kind: 'status', status: 503, body: 'busy' }])
    const subject = client({ retries: 2 })
    await assert.rejects(subject.getExperiences({ contextId: 'v' }), (error) => {
      isQubitError('HTTP_STATUS', 503)(error)
      assert.equal(error.bodyExcerpt, 'busy')
      return true
    })
    assert.equal(subject.stats().requests, 3)
    assert.deepEqual(subject.stats().errors, { HTTP_STATUS: 1 })
  })

  test('TIMEOUT when the answer is slower than timeoutMs', async () => {
    await emulator.setFaults([{ on: 'experiences', kind: 'latency', ms: 500 }])
    await assert.rejects(client({ timeoutMs: 100 }).getExperiences({ contextId: 'v' }), isQubitError('TIMEOUT', undefined))
  })

  test('a query timeoutMs replaces the client timeout for that call', async () => {
    await emulator.setFaults([{ on: 'experiences', kind: 'latency', ms: 300 }])
    const started = Date.now()
    await assert.rejects(client({ timeoutMs: 5000 }).getExperiences({ contextId: 'v', timeoutMs: 50 }), isQubitError('TIMEOUT', undefined))
    assert.ok(Date.now() - started < 250)
  })

  test('CONNECTION when nothing listens', async () => {
    const closed = new Client('retail_shop', { baseUrl: 'http://127.0.0.1:9', retries: 0 })
    await assert.rejects(closed.getExperiences(), isQubitError('CONNECTION', undefined))
  })

  test('DECODE for a body that is not the protocol JSON', async () => {
    await emulator.setFaults([{ on: 'experiences', kind: 'malformed' }])
    await assert.rejects(client().getExperiences({ contextId: 'v' }), isQubitError('DECODE', undefined))
  })

  test('RESPONSE_TOO_LARGE past maxResponseBytes', async () => {
    await emulator.setFaults([{ on: 'experiences', kind: 'oversize', bytes: 100000 }])
    await assert.rejects(client({ maxResponseBytes: 1000 }).getExperiences({ contextId: 'v' }), isQubitError('RESPONSE_TOO_LARGE', undefined))
  })

  test('CALLBACK_REFUSED for a callback URL off the allowed hosts; nothing is sent', async () => {
    const experience = { id: 1, variationMasterId: 2, isControl: false, callbackUrl: 'https://evil.example/steal' }
    const subject = client()
    await assert.rejects(subject.shown(experience, 'v'), isQubitError('CALLBACK_REFUSED', undefined))
    assert.throws(() => subject.shownLater(experience, 'v'), isQubitError('CALLBACK_REFUSED', undefined))
    assert.deepEqual(await emulator.callbacks(), [])
  })

  test('CLOSED after close, for every call; close is idempotent', async () => {
    const subject = client()
    const { experiences, contextId } = await subject.getExperiences({ contextId: 'visitor-1' })
    await subject.close(1000)
    await subject.close(1000)
    assert.equal(subject.isClosed, true)
    await assert.rejects(subject.getExperiences({ contextId: 'v' }), isQubitError('CLOSED', undefined))
    await assert.rejects(subject.shown(experiences[0], contextId), isQubitError('CLOSED', undefined))
    assert.throws(() => subject.shownLater(experiences[0], contextId), isQubitError('CLOSED', undefined))
    const fallback = await subject.getExperiencesFailOpen({ contextId: 'v' })
    assert.equal(fallback.source, 'fallback')
    assert.ok(fallback.error instanceof QubitError)
    assert.equal(fallback.error.code, 'CLOSED')
  })

  test('QUEUE_FULL when the callback queue is full: dropped and counted', async () => {
    await emulator.setFaults([{ on: 'callback', kind: 'latency', ms: 300 }])
    const subject = client({ queueCapacity: 1, callbackWorkers: 1 })
    const { experiences, contextId } = await subject.getExperiences({ contextId: 'visitor-1' })
    let full
    for (let i = 0; i < 20 && !full; i++) {
      try {
        subject.shownLater(experiences[0], contextId)
      } catch (error) {
        full = error
      }
    }
    assert.ok(full, 'the queue never filled')
    isQubitError('QUEUE_FULL', undefined)(full)
    assert.ok(subject.stats().callbacksDropped >= 1)
    await subject.close(5000)
  })

  test('DECODE and INVALID_ARGUMENT from decodeCallbackUrl', () => {
    assert.throws(() => qubit.decodeCallbackUrl('https://sse.qubit.com/v1/callback'), isQubitError('INVALID_ARGUMENT', undefined))
    assert.throws(() => qubit.decodeCallbackUrl('https://sse.qubit.com/v1/callback?data=!!!'), isQubitError('DECODE', undefined))
  })

  test('INTERNAL for a panic, on the JS thread and on a pool thread, without an abort', async () => {
    assert.throws(() => qubit.__panicForTests('sync'), isQubitError('INTERNAL', undefined))
    await assert.rejects(qubit.__panicForTests('async'), isQubitError('INTERNAL', undefined))
    const neighbour = client().getExperiences({ contextId: 'visitor-1' })
    await assert.rejects(qubit.__panicForTests('settle'), isQubitError('INTERNAL', undefined))
    assert.ok((await neighbour).experiences.length > 0, 'a call settled in the same batch is unaffected')
    assert.equal(qubit.generateContextId().length, 29, 'the addon still works after the panics')
  })
})
