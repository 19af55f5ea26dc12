// {{name}}: an MCP server built with the official MCP TypeScript SDK, served over streamable
// HTTP at $MCP_PATH (default /mcp) on $HOST:$PORT (default 0.0.0.0:8000), health at /healthz.
import {createServer} from 'node:http'

import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import {StreamableHTTPServerTransport} from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import {z} from 'zod'

const PORT = Number(process.env.PORT ?? 8000)
const HOST = process.env.HOST ?? '0.0.0.0'
const MCP_PATH = process.env.MCP_PATH ?? '/mcp'
// Kubernetes reaches the server under many Host names (pod IP for probes, Service DNS names,
// localhost through port-forward), so Host checks are off unless MCP_ALLOWED_HOSTS lists them.
const allowedHosts = (process.env.MCP_ALLOWED_HOSTS ?? '')
  .split(',')
  .map((h) => h.trim())
  .filter(Boolean)

function buildServer(): McpServer {
  const server = new McpServer({name: '{{name}}', version: '0.1.0'})
  server.registerTool('echo', {description: 'Return the text unchanged.', inputSchema: {text: z.string()}}, async ({text}) => ({
    content: [{type: 'text', text}],
  }))
  server.registerTool('add', {description: 'Add two numbers.', inputSchema: {a: z.number(), b: z.number()}}, async ({a, b}) => ({
    content: [{type: 'text', text: String(a + b)}],
  }))
  return server
}

const http = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  if (path === '/healthz') {
    res.writeHead(200, {'content-type': 'application/json'}).end('{"status":"ok"}')
    return
  }
  if (path !== MCP_PATH) {
    res.writeHead(404).end()
    return
  }
  // Stateless: a fresh server and transport per request, so any replica can answer any request.
  const server = buildServer()
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    ...(allowedHosts.length > 0 ? {enableDnsRebindingProtection: true, allowedHosts} : {}),
  })
  res.on('close', () => {
    void transport.close()
    void server.close()
  })
  try {
    await server.connect(transport)
    await transport.handleRequest(req, res)
  } catch (error) {
    console.error(error)
    if (!res.headersSent) res.writeHead(500).end()
  }
})

http.listen(PORT, HOST, () => console.log(`{{name}}: MCP at http://${HOST}:${PORT}${MCP_PATH}`))
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => http.close(() => process.exit(0)))
