// A local HTTP relay that adds headers (a bearer token) to every request before passing it on,
// streaming both ways (SSE included). `kaos mcp inspect` puts it between the MCP Inspector and an
// endpoint that needs a token, so the token never goes on the Inspector's command line, where
// every user of the machine could read it in the process list.
import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface Relay {
  /** The relay's URL for `path`, e.g. http://127.0.0.1:40111/mcp. */
  url(path: string): string
  close(): Promise<void>
  closeNow(): void
}

/** Listen on 127.0.0.1 (a free port) and relay to `target` (http://host:port), adding `headers`. */
export async function headerRelay(target: string, headers: Record<string, string>): Promise<Relay> {
  const t = new URL(target)
  const server = http.createServer((req, res) => {
    const up = http.request(
      {
        host: t.hostname,
        port: t.port,
        method: req.method,
        path: req.url,
        headers: {...req.headers, host: t.host, ...headers},
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
      },
    )
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, {'content-type': 'text/plain'}).end(`kaos relay: ${e.message}\n`)
      else res.destroy()
    })
    res.on('close', () => up.destroy())
    req.pipe(up)
  })
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const {port} = server.address() as AddressInfo
  const closeNow = () => {
    for (const s of sockets) s.destroy()
    server.close()
  }
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    closeNow,
    close: () =>
      new Promise((resolve) => {
        closeNow()
        resolve()
      }),
  }
}
