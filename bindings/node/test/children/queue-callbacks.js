'use strict'
// Child process of exit.test.js: fetches, queues callbacks with shownLater,
// then either awaits close() or just returns, and prints when it is done.
// Usage: node queue-callbacks.js <baseUrl> <close|no-close> <count>

const { Client } = require('../..')

async function main() {
  const [baseUrl, mode, count] = process.argv.slice(2)
  const client = new Client('retail_shop', { baseUrl })
  const { experiences } = await client.getExperiences({ contextId: 'visitor-1' })

  for (let i = 0; i < Number(count); i++) {
    client.shownLater(experiences[i % experiences.length], `visitor-${i}`)
  }
  if (mode === 'close') await client.close(10000)
  process.stdout.write(`${JSON.stringify({ done: Date.now(), stats: client.stats() })}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
