'use strict'
// Every ```js block of docs/node.md runs, as an ES module inside this
// package (so `import 'qubit-experiences'` resolves to it), against the
// emulator, and prints what the doc says it prints.

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { after, before, test } = require('node:test')

const { startEmulator, REPO } = require('./helpers/emulator')

const DOC = path.join(REPO, 'docs', 'node.md')
const TMP = path.join(__dirname, '.tmp')

const blocks = [...fs.readFileSync(DOC, 'utf8').matchAll(/```js\n([^]*?)```/g)].map((m) => m[1])
const EXPECTED_OUTPUT = [
  /^144119 826986 \{\}$/m,
  /^Set-Cookie: _qubitTracker=[0-9a-z-]{29}; Domain=shop\.example; Path=\/; Max-Age=31536000; SameSite=Lax$/m,
  /^true number$/m,
  /^NOT_FOUND 404$/m,
  /^warn qubit_experiences::client serving default content: /m,
]

let emulator
before(async () => {
  emulator = await startEmulator()
  fs.mkdirSync(TMP, { recursive: true })
})
after(() => {
  emulator.stop()
  fs.rmSync(TMP, { recursive: true, force: true })
})

test('docs/node.md has the blocks this test knows', () => {
  assert.equal(blocks.length, EXPECTED_OUTPUT.length)
})

blocks.forEach((code, index) => {
  test(`docs/node.md block ${index + 1} runs and prints what it says`, async () => {
    const file = path.join(TMP, `doc-${index + 1}.mjs`)
    fs.writeFileSync(file, code)
    const stdout = await new Promise((resolve, reject) => {
      const env = { ...process.env, QUBIT_BASE_URL: emulator.url }
      execFile(process.execPath, [file], { env, timeout: 20000 }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      )
    })
    assert.match(stdout, EXPECTED_OUTPUT[index])
  })
})
