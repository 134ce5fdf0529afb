'use strict'
// Child process of logging.test.js: installs a log handler, fetches an
// unknown tracking id with the fail-open variant (the core logs a warning),
// prints the records it received and when it was done, and returns without
// removing the handler.
// Usage: node logger.js <baseUrl>

const { Client, setLogger } = require('../..')

async function main() {
  const [baseUrl] = process.argv.slice(2)
  const records = []
  setLogger((record) => records.push(record))
  const client = new Client('no_such_property', { baseUrl })
  const answer = await client.getExperiencesFailOpen({ contextId: 'visitor-1' })
  await client.close()
  while (records.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  process.stdout.write(`${JSON.stringify({ done: Date.now(), source: answer.source, records })}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
