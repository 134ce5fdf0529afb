'use strict'
// A loopback HTTP server that answers every experiences request with one
// hand-made body, for answers the emulator never sends. It listens on
// 127.0.0.1 only and is closed by the test that started it.

const http = require('node:http')

/** Starts the server; `service.payload` is the JSON text of the one experience's payload. */
async function startFakeService() {
  const service = { payload: '{}', url: '', close: () => new Promise((resolve) => server.close(resolve)) }
  const server = http.createServer((request, response) => {
    request.resume()
    const host = request.headers.host
    const body =
      `{"experiencePayloads":[{"id":1,"variation":2,"isControl":false,` +
      `"callback":"http://${host}/v1/callback","payload":${service.payload}}],` +
      `"contextId":"served-context","cookieDomains":[]}`
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    response.end(body)
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  service.url = `http://127.0.0.1:${server.address().port}`
  return service
}

module.exports = { startFakeService }
