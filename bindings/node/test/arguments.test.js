'use strict'
// Arguments of the wrong type are TypeErrors (ERR_INVALID_ARG_TYPE), numbers
// out of range RangeErrors (ERR_OUT_OF_RANGE), unknown option keys
// TypeErrors; promise-returning methods reject rather than throw.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { describe, test } = require('node:test')

const qubit = require('..')
const { Client } = qubit

const typeError = (pattern) => (error) => {
  assert.ok(error instanceof TypeError, `${error}`)
  assert.equal(error.code, 'ERR_INVALID_ARG_TYPE')
  if (pattern) assert.match(error.message, pattern)
  return true
}
const rangeError = (pattern) => (error) => {
  assert.ok(error instanceof RangeError, `${error}`)
  assert.equal(error.code, 'ERR_OUT_OF_RANGE')
  if (pattern) assert.match(error.message, pattern)
  return true
}

/** The keys of an interface in index.d.ts. */
function declaredKeys(name) {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const body = new RegExp(`export interface ${name} \\{([^]*?)\\n\\}`).exec(dts)[1]
  return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1])
}

const unusable = Symbol('not an option value')

describe('the Client constructor', () => {
  test('needs a string tracking id', () => {
    assert.throws(() => new Client(), typeError(/"trackingId" must be a string, got nothing/))
    assert.throws(() => new Client(42), typeError(/got a number/))
    assert.throws(() => new Client('shop', 'options'), typeError(/"options" must be an object, got a string/))
  })

  test('checks every option declared in index.d.ts, and only those', () => {
    const keys = declaredKeys('ClientOptions')
    assert.ok(keys.length >= 15)
    for (const key of keys) {
      assert.throws(() => new Client('shop', { [key]: unusable }), typeError(new RegExp(`"options\\.${key}`)), key)
    }
    assert.throws(() => new Client('shop', { timeout: 5 }), typeError(/unknown key "timeout"/))
  })

  test('checks the cache and backoff objects', () => {
    for (const key of declaredKeys('CacheSettings')) {
      assert.throws(() => new Client('shop', { cache: { [key]: 'x' } }), typeError(new RegExp(key)), key)
    }
    assert.throws(() => new Client('shop', { cache: { ttl: 1 } }), typeError(/unknown key "ttl"/))
    assert.throws(() => new Client('shop', { backoff: { firstMs: 1 } }), typeError(/"maxMs" is required/))
  })

  test('rejects impossible numbers with RangeError', () => {
    assert.throws(() => new Client('shop', { timeoutMs: -1 }), rangeError(/timeoutMs/))
    assert.throws(() => new Client('shop', { timeoutMs: NaN }), rangeError())
    assert.throws(() => new Client('shop', { timeoutMs: Infinity }), rangeError())
    assert.throws(() => new Client('shop', { retries: 1.5 }), rangeError(/retries/))
    assert.throws(() => new Client('shop', { queueCapacity: -3 }), rangeError())
  })

  test('takes undefined and null as not given', () => {
    const client = new Client('shop', { baseUrl: undefined, timeoutMs: null, cache: {} })
    assert.equal(client.trackingId, 'shop')
  })
})

describe('client methods', () => {
  const client = new Client('shop', { baseUrl: 'http://127.0.0.1:9', retries: 0 })
  const experience = { id: 1, variationMasterId: 2, isControl: false, callbackUrl: 'http://127.0.0.1:9/v1/callback?data=x' }

  test('getExperiences rejects, never throws, for a bad query; every query key is checked', async () => {
    const keys = declaredKeys('ExperienceQuery')
    assert.ok(keys.includes('contextId') && keys.includes('strict'))
    for (const key of keys) {
      await assert.rejects(client.getExperiences({ [key]: unusable }), typeError(new RegExp(`"query\\.${key}`)), key)
    }
    await assert.rejects(client.getExperiences({ contextID: 'x' }), typeError(/unknown key "contextID"/))
    await assert.rejects(client.getExperiences('visitor'), typeError(/"query" must be an object/))
  })

  test('ids are safe integers or BigInts within 64 bits', async () => {
    await assert.rejects(client.getExperiences({ experienceIds: [1.5] }), rangeError(/experienceIds\[0\]/))
    await assert.rejects(client.getExperiences({ experienceIds: [2 ** 60] }), rangeError())
    await assert.rejects(client.getExperiences({ experienceIds: [-1n] }), rangeError())
    await assert.rejects(client.getExperiences({ experienceIds: [2n ** 64n] }), rangeError())
    await assert.rejects(client.getExperiences({ experienceIds: ['1'] }), typeError(/a number or a bigint, got a string/))
    await assert.rejects(client.getExperiences({ experienceIds: 144119 }), typeError(/an array/))
  })

  test('the fail-open variant answers a bad query instead of rejecting', async () => {
    const answer = await client.getExperiencesFailOpen({ contextId: 7 })
    assert.equal(answer.source, 'fallback')
    assert.ok(answer.error instanceof TypeError)
    assert.equal(answer.contextIdGenerated, true)
    assert.deepEqual(answer.experiences, [])
  })

  test('shown rejects and shownLater throws for unusable arguments', async () => {
    await assert.rejects(client.shown(undefined, 'v'), typeError(/"experience"/))
    await assert.rejects(client.shown(experience, 5), typeError(/"contextId" must be a string/))
    await assert.rejects(client.shown({ ...experience, callbackUrl: undefined }, 'v'), typeError(/"callbackUrl" is required/))
    assert.throws(() => client.shownLater(experience), typeError(/"contextId"/))
    assert.throws(() => client.shownLater({ id: 'x' }, 'v'), typeError(/experience\.id/))
  })

  test('flush and close take an optional number of milliseconds', async () => {
    await assert.rejects(client.flush('soon'), typeError(/"timeoutMs" must be a number/))
    await assert.rejects(client.close(-1), rangeError())
    await client.flush()
  })
})

describe('module functions', () => {
  test('cookie helpers check their arguments', () => {
    assert.equal(qubit.contextIdFromCookieHeader(undefined), null)
    assert.equal(qubit.contextIdFromCookieHeader(null), null)
    assert.throws(() => qubit.contextIdFromCookieHeader(['a=1']), typeError(/an array/))
    assert.throws(() => qubit.cookieDomainForHost('shop.example'), typeError(/"cookieDomains"/))
    assert.throws(() => qubit.cookieDomainForHost('shop.example', [1]), typeError(/cookieDomains\[0\]/))
    assert.throws(() => qubit.setCookieHeader(), typeError(/"contextId"/))
    assert.throws(() => qubit.setCookieHeader('v', { domian: 'x' }), typeError(/unknown key "domian"/))
    assert.throws(() => qubit.decodeCallbackUrl(1), typeError(/"url"/))
  })
})
