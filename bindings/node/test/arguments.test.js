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
/** A TypeError for an argument whose getter or Proxy trap threw `cause`. */
const unreadable = (pattern, cause) => (error) => {
  assert.ok(error instanceof TypeError, `${error}`)
  assert.equal(error.code, 'ERR_INVALID_ARG_VALUE')
  assert.match(error.message, pattern)
  assert.equal(error.cause, cause)
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

  test('throws a TypeError when called without new, wrapping nothing', () => {
    const message = /cannot be invoked without 'new'/
    assert.throws(() => Client('shop'), typeError(message))
    assert.throws(() => Client('shop'), typeError(message))
    const target = {}
    assert.throws(() => Client.call(target, 'shop'), typeError(message))
    assert.deepEqual(Object.keys(target), [])
    assert.equal(new Client('shop').trackingId, 'shop')
  })

  test('names an option whose getter or Proxy trap throws, keeping its message', () => {
    const boom = new Error('getter boom')
    assert.throws(() => new Client('shop', { get baseUrl() { throw boom } }), unreadable(/"options\.baseUrl" could not be read: getter boom/, boom))
    const trap = new Error('keys boom')
    const options = new Proxy({}, { ownKeys() { throw trap } })
    assert.throws(() => new Client('shop', options), unreadable(/"options" could not be read: keys boom/, trap))
  })

  test('fails fast on arrays longer than 100,000 items, before reading them', () => {
    for (const length of [100001, 1e7, 2 ** 32 - 1]) {
      const hosts = []
      hosts.length = length
      const started = Date.now()
      assert.throws(() => new Client('shop', { allowedCallbackHosts: hosts }), rangeError(/"options\.allowedCallbackHosts" must be an array of at most 100000 items/))
      assert.ok(Date.now() - started < 100, `${length} items took ${Date.now() - started} ms`)
    }
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

  test('the fail-open variant rejects a bad query like getExperiences: no fallback, no new context id', async () => {
    await assert.rejects(client.getExperiencesFailOpen({ contextId: 7 }), typeError(/"query\.contextId" must be a string/))
    await assert.rejects(client.getExperiencesFailOpen({ contextId: 'returning', timeoutMs: -1 }), rangeError(/"query\.timeoutMs"/))
    await assert.rejects(client.getExperiencesFailOpen({ contextId: 'returning', experienceIds: [1.5] }), rangeError(/experienceIds\[0\]/))
    await assert.rejects(client.getExperiencesFailOpen('returning'), typeError(/"query" must be an object/))
  })

  test('promise-returning methods reject, never throw, when a getter or Proxy trap throws', async () => {
    const boom = new Error('boom')
    const throwing = { get() { throw boom } }
    const query = Object.defineProperty({}, 'contextId', { ...throwing, enumerable: true })
    const keys = new Proxy({}, { ownKeys() { throw boom } })
    const ids = Object.defineProperty([], 0, throwing)
    const badExperience = Object.defineProperty({ variationMasterId: 2, callbackUrl: experience.callbackUrl }, 'id', { ...throwing, enumerable: true })
    const calls = [
      [() => client.getExperiences(query), /"query\.contextId" could not be read: boom/],
      [() => client.getExperiencesFailOpen(query), /"query\.contextId" could not be read: boom/],
      [() => client.getExperiencesFailOpen(keys), /"query" could not be read: boom/],
      [() => client.getExperiences({ experienceIds: ids }), /"query\.experienceIds\[0\]" could not be read: boom/],
      [() => client.shown(badExperience, 'v'), /"experience\.id" could not be read: boom/],
    ]
    for (const [call, message] of calls) {
      let promise
      assert.doesNotThrow(() => {
        promise = call()
      })
      await assert.rejects(promise, unreadable(message, boom))
    }
    const thrownString = Object.defineProperty({}, 'contextId', { get() { throw 'plain string' }, enumerable: true })
    await assert.rejects(client.getExperiences(thrownString), unreadable(/could not be read: plain string/, 'plain string'))
  })

  test('shownLater throws a TypeError naming the argument a getter failed to give', () => {
    const boom = new Error('id getter boom')
    const badExperience = { get id() { throw boom }, variationMasterId: 2, callbackUrl: experience.callbackUrl }
    assert.throws(() => client.shownLater(badExperience, 'v'), unreadable(/"experience\.id" could not be read: id getter boom/, boom))
  })

  test('arrays longer than 100,000 items are a RangeError at once', async () => {
    for (const length of [100001, 1e7, 2 ** 32 - 1]) {
      const ids = []
      ids.length = length
      const started = Date.now()
      await assert.rejects(client.getExperiences({ experienceIds: ids }), rangeError(/"query\.experienceIds" must be an array of at most 100000 items, got/))
      await assert.rejects(client.getExperiencesFailOpen({ experienceIds: ids }), rangeError(/at most 100000 items/))
      assert.throws(() => qubit.cookieDomainForHost('shop.example', ids), rangeError(/"cookieDomains" must be an array of at most 100000 items/))
      assert.ok(Date.now() - started < 100, `${length} items took ${Date.now() - started} ms`)
    }
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
