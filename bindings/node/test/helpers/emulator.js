'use strict'
// Starts the emulator through the CLI binary, as every language's tests do,
// and drives its control endpoints. The binary is $QUBIT_EXPERIENCES_CLI or
// the workspace's target/debug/qubit-experiences.

const { spawn } = require('node:child_process')
const path = require('node:path')
const readline = require('node:readline')

const REPO = path.resolve(__dirname, '..', '..', '..', '..')
const CLI = process.env.QUBIT_EXPERIENCES_CLI || path.join(REPO, 'target', 'debug', 'qubit-experiences')

/** Starts an emulator serving `fixture` (a file name in emulator/fixtures). */
async function startEmulator(fixture = 'retail.json') {
  const child = spawn(CLI, ['emulator', '--fixture', path.join(REPO, 'emulator', 'fixtures', fixture), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const url = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (line) => resolve(line.trim()))
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the emulator exited with ${code} before printing its URL`)))
  })
  // Keep draining stdout so the emulator never blocks on a full pipe.
  child.stdout.resume()
  return new Emulator(child, url)
}

class Emulator {
  constructor(child, url) {
    this.child = child
    this.url = url
  }

  async control(method, route, body) {
    const response = await fetch(this.url + route, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`)
    return text ? JSON.parse(text) : null
  }

  reset() {
    return this.control('POST', '/_emulator/reset')
  }

  setFaults(faults) {
    return this.control('PUT', '/_emulator/faults', { faults })
  }

  callbacks() {
    return this.control('GET', '/_emulator/callbacks')
  }

  requests() {
    return this.control('GET', '/_emulator/requests')
  }

  /** Waits until the emulator has recorded `count` callbacks. */
  async waitForCallbacks(count, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const callbacks = await this.callbacks()
      if (callbacks.length >= count || Date.now() > deadline) return callbacks
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  stop() {
    if (this.child.exitCode === null) this.child.kill()
  }
}

module.exports = { startEmulator, REPO, CLI }
