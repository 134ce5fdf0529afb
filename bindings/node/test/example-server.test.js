'use strict'
// The example plain-http server, end to end against the emulator: a new
// visitor gets a cookie, a returning one is read from theirs, and every
// experience shown is reported through its callback.

const assert = require('node:assert/strict')
const http = require('node:http')
const { after, before, beforeEach, test } = require('node:test')

const { Client } = require('..')
const { createServer } = require('../examples/server')
const { startEmulator } = require('./helpers/emulator')

let emulator
let client
let server
let base
before(async () => {
  emulator = await startEmulator()
  client = new Client('retail_shop', { baseUrl: emulator.url })
  server = createServer(client)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${server.address().port}`
})
beforeEach(() => emulator.reset())
after(async () => {
  await new Promise((resolve) => server.close(resolve))
  await client.close()
  emulator.stop()
})

/** GET / with these headers (fetch would not let a test set Host). */
function get(headers) {
  return new Promise((resolve, reject) => {
    const request = http.get(base, { headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body }))
    })
    request.on('error', reject)
  })
}

const servedIds = (html) => [...html.matchAll(/data-experience="(\d+)"/g)].map((m) => Number(m[1]))

test('a returning visitor is read from the cookie, served, and their exposures reported', async () => {
  const response = await get({ cookie: 'theme=dark; _qubitTracker=visitor-1' })
  const html = response.body

  assert.equal(response.status, 200)
  assert.equal(response.headers['set-cookie'], undefined)
  const expected = await client.getExperiences({ contextId: 'visitor-1' })
  assert.deepEqual(servedIds(html), expected.experiences.map((e) => e.id))
  assert.match(html, /9007199254740993/, 'the payload text reaches the page intact')

  await client.flush(5000)
  const callbacks = await emulator.callbacks()
  // Two worker threads send them, so in any order.
  assert.deepEqual(
    callbacks.map((c) => [c.body, c.decision.ExperienceId]).sort(),
    expected.experiences.map((e) => ['{"id":"visitor-1"}', e.id]).sort(),
  )
})

test('a new visitor gets a generated id in a Set-Cookie on the cookie domain', async () => {
  const response = await get({ host: 'www.shop.example' })

  const [cookie] = response.headers['set-cookie']
  const match = /^_qubitTracker=([0-9a-z]{11}-[0-9a-z]{9}-[0-9a-z]{7}); Domain=shop\.example; Path=\/; Max-Age=31536000; SameSite=Lax$/.exec(cookie)
  assert.ok(match, cookie)

  await client.flush(5000)
  const bodies = (await emulator.callbacks()).map((c) => c.body)
  assert.ok(bodies.length > 0)
  assert.ok(bodies.every((body) => body === `{"id":"${match[1]}"}`))
})

test('the page still renders when the service fails', async () => {
  await emulator.setFaults([{ on: 'experiences', kind: 'status', status: 500 }])
  const response = await get({ cookie: '_qubitTracker=visitor-1' })

  assert.equal(response.status, 200)
  assert.deepEqual(servedIds(response.body), [])
})
