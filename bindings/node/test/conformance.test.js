'use strict'
// Every conformance scenario of tests/conformance, run through this
// package's API against the emulator started through the CLI.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { after, describe, test } = require('node:test')

const qubit = require('..')
const { startEmulator, REPO } = require('./helpers/emulator')
const { parseJson } = require('./helpers/json-bigint')

const SCENARIOS = path.join(REPO, 'tests', 'conformance')
const GENERATED_ID = /^[0-9a-z]{11}-[0-9a-z]{9}-[0-9a-z]{7}$/

const emulators = new Map()
async function emulatorFor(fixture) {
  if (!emulators.has(fixture)) emulators.set(fixture, startEmulator(fixture))
  const emulator = await emulators.get(fixture)
  await emulator.reset()
  return emulator
}
after(async () => {
  for (const emulator of emulators.values()) (await emulator).stop()
})

function queryOf(spec = {}) {
  const known = ['contextId', 'experienceIds', 'preview', 'variation', 'ignoreSegments', 'filter']
  for (const key of Object.keys(spec)) assert.ok(known.includes(key), `unknown query key ${key}`)
  const query = { ...spec, strict: spec.filter === 'strict' }
  delete query.filter
  return query
}

function checkError(error, expect) {
  assert.ok(error instanceof qubit.QubitError, `not a QubitError: ${error}`)
  assert.ok(error instanceof Error)
  assert.equal(error.code, expect.error)
  assert.equal(error.status, expect.status)
}

function checkAnswer(answer, expect) {
  if (expect.experiences) {
    assert.deepEqual(
      answer.experiences.map((e) => [e.id, e.variation, e.variationMasterId, e.isControl]),
      expect.experiences.map((e) => [e.id, e.variation, e.variation, e.isControl]),
    )
    answer.experiences.forEach((actual, index) => {
      const expected = expect.experiences[index]
      assert.deepStrictEqual(actual.payload, expected.payload)
      if (actual.payloadJson === undefined) return
      assert.deepStrictEqual(parseJson(actual.payloadJson), expected.payload)
      if (expected.payloadJson !== undefined) assert.equal(actual.payloadJson, expected.payloadJson)
    })
  }
  if (expect.contextId !== undefined) assert.equal(answer.contextId, expect.contextId)
  if (expect.contextIdGenerated !== undefined) {
    assert.equal(answer.contextIdGenerated, expect.contextIdGenerated)
    if (expect.contextIdGenerated) assert.match(answer.contextId, GENERATED_ID)
  }
  if (expect.cookieDomains) assert.deepEqual(answer.cookieDomains, expect.cookieDomains)
  if (expect.missingExperienceIds) assert.deepEqual(answer.missingExperienceIds, expect.missingExperienceIds)
  if (expect.source) assert.equal(answer.source, expect.source)
}

async function checkRequestQuery(emulator, expect) {
  if (expect.requestQuery === undefined) return
  const requests = await emulator.requests()
  const last = requests.filter((r) => r.path.endsWith('/experiences')).at(-1)
  assert.ok(last, 'no request recorded')
  assert.equal(last.query, expect.requestQuery)
}

function checkCookies(checks) {
  for (const check of checks) {
    const actual = {
      contextIdFromCookieHeader: () => qubit.contextIdFromCookieHeader(check.header),
      cookieDomainForHost: () => qubit.cookieDomainForHost(check.host, check.cookieDomains),
      setCookieHeader: () => qubit.setCookieHeader(check.contextId, { domain: check.domain, secure: check.secure }),
    }[check.function]
    assert.ok(actual, `unknown cookie function ${check.function}`)
    assert.equal(actual(), check.expect, JSON.stringify(check))
  }
}

/** Raw requests are not client calls: they check the emulator's answer as sent. */
async function checkRaw(emulator, raw, expect) {
  const response = await fetch(emulator.url + raw.path, { method: raw.method })
  assert.equal(response.status, expect.status)
  if (response.status !== 200) return
  const body = parseJson(await response.text())
  const experiences = body.experiencePayloads.map((e) => ({ ...e, variationMasterId: e.variation }))
  checkAnswer({ experiences, contextId: body.contextId, cookieDomains: body.cookieDomains }, expect)
}

async function run(scenario) {
  if (scenario.cookies) return checkCookies(scenario.cookies)

  const emulator = await emulatorFor(scenario.fixture)
  if (scenario.faults) await emulator.setFaults(scenario.faults)
  const expect = scenario.expect
  if (scenario.http) return checkRaw(emulator, scenario.http, expect)

  const fixture = JSON.parse(fs.readFileSync(path.join(REPO, 'emulator', 'fixtures', scenario.fixture), 'utf8'))
  const client = new qubit.Client(scenario.trackingId ?? fixture.trackingId, {
    baseUrl: emulator.url,
    backoff: { firstMs: 1, maxMs: 5 },
  })
  try {
    const query = queryOf(scenario.query)
    let answer
    if (scenario.failOpen) {
      answer = await client.getExperiencesFailOpen(query)
      if (expect.error) checkError(answer.error, expect)
      else assert.equal(answer.error, null)
    } else if (expect.error) {
      await assert.rejects(client.getExperiences(query), (error) => (checkError(error, expect), true))
    } else {
      answer = await client.getExperiences(query)
      assert.equal(answer.error, null)
    }
    await checkRequestQuery(emulator, expect)
    if (!answer) return

    checkAnswer(answer, expect)
    const shown = (scenario.shown ?? []).map((id) => answer.experiences.find((e) => e.id === id))
    for (const [index, experience] of shown.entries()) {
      assert.ok(experience, `${scenario.shown[index]} was not served`)
      await client.shown(experience, answer.contextId)
    }
    const recorded = await emulator.callbacks()
    const expected = scenario.expectCallbacks ?? []
    assert.deepEqual(
      recorded.map(({ body, contentType, decision }) => ({ body, contentType, decision })),
      expected.map(({ body, contentType, decision }) => ({ body, contentType, decision })),
    )
    // The package's own decoder reads the same decisions from the URLs.
    assert.deepEqual(
      shown.map((experience) => qubit.decodeCallbackUrl(experience.callbackUrl)),
      expected.map(({ decision }) => decision),
    )
  } finally {
    await client.close(1000)
  }
}

describe('conformance scenarios', () => {
  const files = fs.readdirSync(SCENARIOS).filter((file) => file.endsWith('.json')).sort()

  test('there are scenarios to run', () => assert.ok(files.length >= 25, `only ${files.length}`))

  for (const file of files) {
    const scenario = parseJson(fs.readFileSync(path.join(SCENARIOS, file), 'utf8'))
    test(`${file}: ${scenario.name}`, () => run(scenario))
  }
})
