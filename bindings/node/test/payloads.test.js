'use strict'
// Payloads reach JavaScript without loss: what JSON.parse would give,
// except that integers beyond Number.MAX_SAFE_INTEGER are exact BigInts,
// and payloadJson is always the exact text served.

const assert = require('node:assert/strict')
const { after, before, test } = require('node:test')

const { Client } = require('..')
const { startEmulator } = require('./helpers/emulator')

let emulator
let experience
before(async () => {
  emulator = await startEmulator()
  const client = new Client('retail_shop', { baseUrl: emulator.url })
  const answer = await client.getExperiences({ contextId: 'visitor-1', experienceIds: [152877] })
  experience = answer.experiences[0]
  await client.close()
})
after(() => emulator.stop())

test('integers above 2^53 and 2^64 arrive as exact BigInts', () => {
  assert.equal(experience.payload.loyaltyPointsCap, 9007199254740993n)
  assert.equal(experience.payload.orderIdSeed, 18446744073709551617n)
})

test('safe integers and floats are numbers', () => {
  assert.equal(experience.payload.negative, -42)
  assert.equal(experience.payload.discountRate, 0.125)
  assert.equal(experience.payload.exponent, 1.5e300)
  assert.equal(experience.payload.nothing, null)
})

test('payloadJson is the exact text and holds the same digits', () => {
  assert.match(experience.payloadJson, /"loyaltyPointsCap": 9007199254740993,/)
  assert.match(experience.payloadJson, /"orderIdSeed": 18446744073709551617,/)
  assert.match(experience.payloadJson, /"exponent": 1\.5e300,/)
})

test('every other value is what JSON.parse gives', () => {
  const parsed = JSON.parse(experience.payloadJson)
  const { loyaltyPointsCap, orderIdSeed, ...rest } = experience.payload
  delete parsed.loyaltyPointsCap
  delete parsed.orderIdSeed
  assert.deepStrictEqual(rest, parsed)
  assert.equal(experience.payload.messages.escaped, 'café "quoted" \\ tab\t')
  assert.equal(experience.payload.messages.emoji, '🚚📦✨')
})

test('ids are numbers', () => {
  assert.equal(experience.id, 152877)
  assert.equal(typeof experience.variationMasterId, 'number')
  assert.equal(experience.variation, experience.variationMasterId)
})
