// Fetch one visitor's experiences, use their payloads, report exposures.
// Usage: node quickstart.mjs BASE_URL TRACKING_ID CONTEXT_ID
import { Client } from 'qubit-experiences'

const [baseUrl, trackingId, contextId] = process.argv.slice(2)

// One client per process, shared by every request.
const client = new Client(trackingId, { baseUrl, timeoutMs: 500 })

// Fail-open: on any error the answer is empty and the page renders its
// defaults; answer.error says why.
const answer = await client.getExperiencesFailOpen({ contextId })
for (const experience of answer.experiences) {
  console.log(`experience ${experience.id}: ${experience.payloadJson}`)
  client.shownLater(experience, answer.contextId)
}

await client.close(2000) // delivers queued callbacks
