// Small local HTTP servers that are not MCP servers (a web page, a 405, a silent listener), for the
// messages kaos gives when --url points at the wrong thing.
import http from 'node:http'
import net from 'node:net'

export interface LocalServer {
  url: string
  port: number
  /** Headers of every request received. */
  requests: Array<{method: string; url: string; headers: http.IncomingHttpHeaders; body: string}>
  close(): Promise<void>
}

/** An HTTP server on 127.0.0.1 answering every request with `handler`. */
export async function startHttp(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<LocalServer> {
  const requests: LocalServer['requests'] = []
  const sockets = new Set<net.Socket>()
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      requests.push({method: req.method ?? '', url: req.url ?? '', headers: req.headers, body})
      handler(req, res, body)
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

/** A listener that accepts connections and never answers (a hung server, a proxy that forwards nothing). */
export async function startSilent(): Promise<LocalServer> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    requests: [],
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}
