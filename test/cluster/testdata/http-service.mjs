// A small in-cluster HTTP service for tests on the test bed: what a gateway's declarative tools,
// resources and prompts call. Plain Node, no dependencies; run it as a pod with the pod runner's
// test-command annotation:
//
//   kaos.tools/test-command: '["node", "<repo>/test/cluster/testdata/http-service.mjs", "--port", "$(KAOS_TEST_PORT_8080)"]'
//
// Every JSON answer names the pod that served it (`pod`, from HOSTNAME, which the runner sets to
// the pod name), so tests can tell replicas apart; every request is logged as one line
// (`<method> <path> <status>`) for `kubectl logs`.
//
//   GET  /healthz                  ok (503 after POST /healthz/fail, until POST /healthz/ok)
//   GET  /whoami                   {pod}
//   GET  /items/:id                {pod, data: {id, name, price}}; 404 JSON for an id that is not 1-999
//   GET  /search?q=…&limit=…       {pod, query, results: [{id, name}]}
//   POST /items                    201 {pod, received: <the JSON body>, contentType}
//   GET  /headers                  {pod, headers}: the request's headers, as received
//   GET  /slow?ms=N                {pod, waited: N} after N ms (at most 60000)
//   GET  /fail                     500 {error}
//   GET  /html                     200 text/html: a web page where JSON was expected
//   GET  /text                     200 text/plain
//   GET  /image, /audio            a 1×1 PNG, a one-sample WAV (as the MCP conformance suite wants)
//   POST /echo                     the body back, with its content type
//
// Options: --port N (or PORT), --host H (default 127.0.0.1), --name NAME (overrides HOSTNAME).
import http from 'node:http'

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

const port = Number(option('port', process.env.PORT ?? '8080'))
const host = option('host', '127.0.0.1')
const pod = option('name', process.env.HOSTNAME ?? 'unknown')
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`http-service: --port ${option('port', process.env.PORT)} is not a port number`)
  process.exit(2)
}

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const WAV = (() => {
  const b = Buffer.alloc(46)
  b.write('RIFF', 0)
  b.writeUInt32LE(38, 4)
  b.write('WAVEfmt ', 8)
  b.writeUInt32LE(16, 16)
  b.writeUInt16LE(1, 20)
  b.writeUInt16LE(1, 22)
  b.writeUInt32LE(8000, 24)
  b.writeUInt32LE(16000, 28)
  b.writeUInt16LE(2, 32)
  b.writeUInt16LE(16, 34)
  b.write('data', 36)
  b.writeUInt32LE(2, 40)
  return b
})()

let healthy = true

const NAMES = ['anvil', 'bolt', 'crate', 'drill', 'easel', 'file', 'gauge', 'hammer', 'inkpad', 'jack']
const item = (id) => ({id: String(id), name: `${NAMES[id % NAMES.length]} ${id}`, price: Math.round(id * 1.25 * 100) / 100})

const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const url = new URL(req.url ?? '/', 'http://x')
    const send = (status, type, data) => {
      res.writeHead(status, {'content-type': type, 'x-served-by': pod})
      res.end(data)
      console.log(`${req.method} ${url.pathname}${url.search} ${status}`)
    }
    const json = (status, value) => send(status, 'application/json', JSON.stringify({pod, ...value}))
    const route = `${req.method} ${url.pathname}`
    let m
    if (route === 'GET /healthz') return healthy ? send(200, 'text/plain', 'ok\n') : send(503, 'text/plain', 'failing on purpose\n')
    if (route === 'POST /healthz/fail' || route === 'POST /healthz/ok') {
      healthy = route.endsWith('/ok')
      return json(200, {healthy})
    }
    if (route === 'GET /whoami') return json(200, {})
    if (req.method === 'GET' && (m = /^\/items\/([^/]+)$/.exec(url.pathname))) {
      const id = decodeURIComponent(m[1])
      if (!/^[1-9]\d{0,2}$/.test(id)) return json(404, {error: `no item ${id}`})
      return json(200, {data: item(Number(id))})
    }
    if (route === 'GET /search') {
      const q = url.searchParams.get('q') ?? ''
      const limit = Math.min(Number(url.searchParams.get('limit') ?? '3') || 3, 50)
      const results = []
      for (let id = 1; results.length < limit && id < 1000; id++) if (item(id).name.includes(q.toLowerCase())) results.push({id: String(id), name: item(id).name})
      return json(200, {query: q, results})
    }
    if (route === 'POST /items') {
      let received
      try {
        received = body.length ? JSON.parse(body.toString('utf8')) : null
      } catch {
        return json(400, {error: 'the body is not JSON'})
      }
      return json(201, {received, contentType: req.headers['content-type'] ?? null})
    }
    if (route === 'GET /headers') return json(200, {headers: req.headers})
    if (route === 'GET /slow') {
      const ms = Math.min(Math.max(Number(url.searchParams.get('ms') ?? '1000') || 0, 0), 60_000)
      const t = setTimeout(() => json(200, {waited: ms}), ms)
      res.on('close', () => clearTimeout(t))
      return
    }
    if (route === 'GET /fail') return json(500, {error: 'this endpoint always fails'})
    if (route === 'GET /html') return send(200, 'text/html; charset=utf-8', `<!doctype html><html><head><title>Sign in</title></head><body><h1>Sign in</h1><p>served by ${pod}</p></body></html>`)
    if (route === 'GET /text') return send(200, 'text/plain', 'This is a simple text response for testing.')
    if (route === 'GET /image') return send(200, 'image/png', PNG)
    if (route === 'GET /audio') return send(200, 'audio/wav', WAV)
    if (route === 'POST /echo') return send(200, req.headers['content-type'] ?? 'application/octet-stream', body.length ? body : '{}')
    return json(404, {error: `no route ${route}`})
  })
})
server.keepAliveTimeout = 65_000
server.listen(port, host, () => console.log(`http-service ${pod} listening on ${host}:${port}`))
const stop = () => {
  server.close(() => process.exit(0))
  server.closeIdleConnections()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
