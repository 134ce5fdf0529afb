'use strict'
// Answers the emulator never sends, from a loopback fake service: strings
// holding lone surrogates decode exactly as JSON.parse decodes them, and a
// payload nested too deep is a DECODE error (a fallback answer for the
// fail-open variant, keeping the caller's context id), never a crash.

const assert = require('node:assert/strict')
const { after, before, test } = require('node:test')

const qubit = require('..')
const { Client, QubitError } = qubit
const { startFakeService } = require('./helpers/fake-service')

let service
let client
before(async () => {
  service = await startFakeService()
  client = new Client('retail_shop', { baseUrl: service.url, retries: 0 })
})
after(async () => {
  await client.close()
  await service.close()
})

const nested = (levels) => '['.repeat(levels) + ']'.repeat(levels)

test('lone surrogate escapes reach JavaScript as JSON.parse gives them', async () => {
  service.payload = String.raw`{"s":"\ud800","t":"\udc00x","pair":"\ud83d\ude00","mixed":"a\u00e9\n\ud800\"b","\udfff":1}`
  const expected = JSON.parse(service.payload)
  for (const fetch of [client.getExperiences, client.getExperiencesFailOpen]) {
    const answer = await fetch.call(client, { contextId: 'visitor-1' })
    assert.equal(answer.source, 'service')
    assert.deepStrictEqual(answer.experiences[0].payload, expected)
    assert.equal(answer.experiences[0].payload.s, '\ud800')
    assert.equal(answer.experiences[0].payload.pair, '😀')
  }
})

test('a payload nested 100,000 levels deep is a DECODE error, not a crash', async () => {
  service.payload = `{"a":${nested(100000)}}`
  await assert.rejects(client.getExperiences({ contextId: 'visitor-1' }), (error) => {
    assert.ok(error instanceof QubitError, `${error}`)
    assert.equal(error.code, 'DECODE')
    return true
  })
})

test('the fail-open variant answers a payload nested too deep with a fallback keeping the context id', async () => {
  for (const levels of [600, 100000]) {
    service.payload = `{"a":${nested(levels)}}`
    const answer = await client.getExperiencesFailOpen({ contextId: 'returning-visitor' })
    assert.equal(answer.source, 'fallback')
    assert.equal(answer.contextId, 'returning-visitor')
    assert.equal(answer.contextIdGenerated, false)
    assert.deepEqual(answer.experiences, [])
    assert.ok(answer.error instanceof QubitError)
    assert.equal(answer.error.code, 'DECODE')
  }
})

// The binding's own JSON reader, through the test aid that feeds it text:
// it must be safe without the core's checks in front of it.
test('the reader decodes every string as JSON.parse does', () => {
  const texts = [
    String.raw`"\ud800"`,
    String.raw`"\udc00\ud800"`,
    String.raw`"\ud83d\ude00 and \uD83D\uDE00"`,
    String.raw`"\"\\\/\b\f\n\r\t\u0000\u001f"`,
    '"café 🚚 plain"',
    String.raw`{"\ud800":"\udbff","__proto__":{"x":1}}`,
  ]
  for (const text of texts) assert.deepStrictEqual(qubit.__payloadForTests(text), JSON.parse(text), text)
})

test('the reader follows 512 levels of nesting and refuses more with DECODE', () => {
  assert.equal(JSON.stringify(qubit.__payloadForTests(nested(512))), nested(512))
  const refused = (levels) => () => qubit.__payloadForTests(`{"a":${nested(levels)}}`)
  for (const levels of [512, 513, 100000, 1000000]) {
    assert.throws(refused(levels), (error) => {
      assert.ok(error instanceof QubitError, `${error}`)
      assert.equal(error.code, 'DECODE')
      assert.match(error.message, /nested deeper than 512 levels/)
      return true
    })
  }
})

test('the reader refuses malformed text with DECODE', () => {
  for (const text of ['"\\x"', '"\\u12"', '"a', '{"a" 1}', '[1,]', '"\u0001"', 'tru', '1 2']) {
    assert.throws(() => qubit.__payloadForTests(text), (error) => error instanceof QubitError && error.code === 'DECODE', text)
  }
})
