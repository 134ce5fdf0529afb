'use strict'
// A plain `http` server that personalises a page with Qubit experiences:
// it reads the visitor's `_qubitTracker` cookie, fetches their experiences
// (failing open to the default page), reports each one shown in the
// background, and sets the cookie for a new visitor.
//
//   QUBIT_TRACKING_ID=retail_shop QUBIT_BASE_URL=http://127.0.0.1:8080 node examples/server.js
//
// Without QUBIT_BASE_URL it talks to the hosted service.

const http = require('node:http')
const {
  Client,
  contextIdFromCookieHeader,
  cookieDomainForHost,
  setCookieHeader,
} = require('qubit-experiences')

/** The request handler, for a client shared by every request. */
function createServer(client) {
  return http.createServer(async (request, response) => {
    const contextId = contextIdFromCookieHeader(request.headers.cookie)
    const answer = await client.getExperiencesFailOpen({ contextId })

    for (const experience of answer.experiences) {
      client.shownLater(experience, answer.contextId)
    }
    if (answer.contextIdGenerated) {
      const domain = cookieDomainForHost(request.headers.host, answer.cookieDomains)
      response.setHeader('Set-Cookie', setCookieHeader(answer.contextId, { domain }))
    }

    response.setHeader('Content-Type', 'text/html; charset=utf-8')
    response.end(renderPage(answer))
  })
}

function renderPage(answer) {
  const items = answer.experiences.map(
    (experience) =>
      `<li data-experience="${experience.id}" data-variation="${experience.variationMasterId}">` +
      `${escapeHtml(experience.payloadJson)}</li>`,
  )
  return `<!doctype html><title>Shop</title><ul>${items.join('')}</ul>`
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

if (require.main === module) {
  const client = new Client(process.env.QUBIT_TRACKING_ID ?? 'retail_shop', {
    baseUrl: process.env.QUBIT_BASE_URL,
  })
  const server = createServer(client).listen(Number(process.env.PORT ?? 3000), () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`)
  })
  process.once('SIGTERM', () => server.close(() => client.close(5000)))
}

module.exports = { createServer }
