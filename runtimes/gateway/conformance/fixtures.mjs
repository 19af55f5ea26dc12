// What the gateway fronts during the conformance run, and its configuration:
//   - an HTTP service answering the declarative tools and resources (text, an error, an image,
//     audio, an echo);
//   - an upstream MCP server (the official SDK's McpServer, stateful) for the scenarios whose
//     tools return what only an MCP server can: embedded resources, mixed content, progress and
//     log notifications. The gateway serves its tools with an empty prefix, so the suite finds
//     them under the names it expects.
// The scenarios' prompts, resources and the resource template are declarative.
//
//   node fixtures.mjs CONFIG_OUT   writes the gateway configuration, prints "ready", keeps serving
// Uses @modelcontextprotocol/sdk and zod from the repository's node_modules (npm ci).
import {randomUUID} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import http from 'node:http'
import {setTimeout as sleep} from 'node:timers/promises'

import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import {StreamableHTTPServerTransport} from '@modelcontextprotocol/sdk/server/streamableHttp.js'

const configOut = process.argv[2]
if (!configOut) {
  console.error('usage: node fixtures.mjs CONFIG_OUT')
  process.exit(2)
}

// A 1×1 PNG and a 1-sample WAV, as the scenarios ask for "a minimal test image/audio".
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const WAV = (() => {
  const b = Buffer.alloc(46)
  b.write('RIFF', 0)
  b.writeUInt32LE(38, 4)
  b.write('WAVEfmt ', 8)
  b.writeUInt32LE(16, 16)
  b.writeUInt16LE(1, 20) // PCM
  b.writeUInt16LE(1, 22) // mono
  b.writeUInt32LE(8000, 24)
  b.writeUInt32LE(16000, 28)
  b.writeUInt16LE(2, 32)
  b.writeUInt16LE(16, 34)
  b.write('data', 36)
  b.writeUInt32LE(2, 40)
  return b
})()

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
}

const service = http.createServer((req, res) => {
  let body = ''
  req.on('data', (c) => (body += c))
  req.on('end', () => {
    const send = (status, type, data) => {
      res.writeHead(status, {'content-type': type})
      res.end(data)
    }
    switch (req.url) {
      case '/simple-text':
        return send(200, 'text/plain', 'This is a simple text response for testing.')
      case '/error':
        return send(500, 'text/plain', 'This tool intentionally returns an error for testing')
      case '/image':
        return send(200, 'image/png', PNG)
      case '/audio':
        return send(200, 'audio/wav', WAV)
      case '/echo':
        return send(200, 'application/json', body || '{}')
      default:
        return send(404, 'text/plain', 'not found')
    }
  })
})

function upstreamServer() {
  const s = new McpServer({name: 'conformance-upstream', version: '1.0.0'}, {capabilities: {logging: {}}})
  s.registerTool('test_embedded_resource', {description: 'Returns an embedded resource', inputSchema: {}}, async () => ({
    content: [{type: 'resource', resource: {uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.'}}],
  }))
  s.registerTool('test_multiple_content_types', {description: 'Returns text, an image and a resource', inputSchema: {}}, async () => ({
    content: [
      {type: 'text', text: 'Multiple content types test:'},
      {type: 'image', data: PNG.toString('base64'), mimeType: 'image/png'},
      {type: 'resource', resource: {uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}'}},
    ],
  }))
  s.registerTool('test_tool_with_progress', {description: 'Reports progress', inputSchema: {}}, async (_args, extra) => {
    const token = extra._meta?.progressToken
    for (const progress of [0, 50, 100]) {
      if (token !== undefined) await extra.sendNotification({method: 'notifications/progress', params: {progressToken: token, progress, total: 100}})
      if (progress < 100) await sleep(50)
    }
    return {content: [{type: 'text', text: `Progress test completed`}]}
  })
  s.registerTool('test_tool_with_logging', {description: 'Sends log messages', inputSchema: {}}, async (_args, extra) => {
    for (const data of ['Tool execution started', 'Tool processing data', 'Tool execution completed']) {
      await extra.sendNotification({method: 'notifications/message', params: {level: 'info', data}})
      await sleep(50)
    }
    return {content: [{type: 'text', text: 'Logging test completed'}]}
  })
  return s
}

const sessions = new Map()
const upstream = http.createServer(async (req, res) => {
  let raw = ''
  for await (const c of req) raw += c
  const body = raw ? JSON.parse(raw) : undefined
  const sid = req.headers['mcp-session-id']
  let transport = sid ? sessions.get(sid) : undefined
  if (!transport) {
    if (sid) {
      res.writeHead(404, {'content-type': 'application/json'})
      return res.end(JSON.stringify({jsonrpc: '2.0', id: null, error: {code: -32001, message: 'Session not found'}}))
    }
    transport = new StreamableHTTPServerTransport({sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => sessions.set(id, transport)})
    await upstreamServer().connect(transport)
  }
  await transport.handleRequest(req, res, body)
})

const [servicePort, upstreamPort] = await Promise.all([listen(service), listen(upstream)])
const svc = `http://127.0.0.1:${servicePort}`
const noArgs = {type: 'object', properties: {}}

writeFileSync(
  configOut,
  JSON.stringify(
    {
      formatVersion: 1,
      server: {name: 'kaos-gateway-conformance'},
      tools: [
        {name: 'test_simple_text', description: 'Returns a fixed text', inputSchema: noArgs, http: {url: `${svc}/simple-text`}},
        {name: 'test_image_content', description: 'Returns an image', inputSchema: noArgs, http: {url: `${svc}/image`}},
        {name: 'test_audio_content', description: 'Returns audio', inputSchema: noArgs, http: {url: `${svc}/audio`}},
        {name: 'test_error_handling', description: 'Always fails', inputSchema: noArgs, http: {url: `${svc}/error`}},
        {
          name: 'json_schema_2020_12_tool',
          description: 'Tool with JSON Schema 2020-12 features',
          inputSchema: {
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            type: 'object',
            $defs: {address: {type: 'object', properties: {street: {type: 'string'}, city: {type: 'string'}}}},
            properties: {name: {type: 'string'}, address: {$ref: '#/$defs/address'}},
            additionalProperties: false,
          },
          http: {method: 'POST', url: `${svc}/echo`, body: '{{args}}'},
        },
      ],
      prompts: [
        {name: 'test_simple_prompt', description: 'A simple prompt', messages: [{role: 'user', text: 'This is a simple prompt for testing.'}]},
        {
          name: 'test_prompt_with_arguments',
          description: 'A prompt with arguments',
          arguments: [
            {name: 'arg1', description: 'First test argument', required: true, values: ['hello', 'test', 'testing']},
            {name: 'arg2', description: 'Second test argument', required: true},
          ],
          messages: [{role: 'user', text: "Prompt with arguments: arg1='{{args.arg1}}', arg2='{{args.arg2}}'"}],
        },
        {
          name: 'test_prompt_with_embedded_resource',
          description: 'A prompt that embeds a resource',
          arguments: [{name: 'resourceUri', description: 'URI of the resource to embed', required: true}],
          messages: [
            {role: 'user', resource: '{{args.resourceUri}}'},
            {role: 'user', text: 'Please process the embedded resource above.'},
          ],
        },
        {name: 'test_prompt_with_image', description: 'A prompt with an image', messages: [{role: 'user', image: 'test://static-binary'}, {role: 'user', text: 'Please analyze the image above.'}]},
      ],
      resources: [
        {uri: 'test://static-text', name: 'static-text', description: 'A static text resource', mimeType: 'text/plain', text: 'This is the content of the static text resource.'},
        {uri: 'test://static-binary', name: 'static-binary', description: 'A PNG from an HTTP service', http: {url: `${svc}/image`}},
        {uri: 'test://example-resource', name: 'example-resource', mimeType: 'text/plain', text: 'This is an example resource.'},
      ],
      resourceTemplates: [
        {
          uriTemplate: 'test://template/{id}/data',
          name: 'template-data',
          mimeType: 'application/json',
          text: '{"id":"{{args.id}}","templateTest":true,"data":"Data for ID: {{args.id}}"}',
        },
      ],
      upstreams: [{name: 'conformance', url: `http://127.0.0.1:${upstreamPort}/mcp`, prefix: ''}],
    },
    null,
    2,
  ),
)
console.log('ready')
