// The MCP side: a Gateway holds the compiled configuration and the upstreams; `server()` builds
// one SDK Server over it. The HTTP layer builds a Server per request (stateless: any replica can
// answer any request, and nothing outlives the request); readiness builds one in-process.
import {Server} from '@modelcontextprotocol/sdk/server/index.js'
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
  type GetPromptResult,
  type PromptMessage as McpPromptMessage,
  type ReadResourceResult,
  type ServerCapabilities,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js'

import type {jsonSchemaValidator} from '@modelcontextprotocol/sdk/validation/types.js'

import {compileSchema, DEFAULTS, type ArgsValidator, type GatewayConfig, type PromptConfig, type ResourceConfig, type ResourceResponse, type ResourceTemplateConfig, type ToolConfig} from './config.js'
import {compileCall, excerpt, isJsonType, isTextualType, type CompiledCall, type Outcome} from './http-call.js'
import {log, ms} from './log.js'
import {parsePointer, parseTemplate, parseUriTemplate, render, resolvePointer, type Template, type UriTemplate} from './template.js'
import {Upstreams} from './upstreams.js'

const RESOURCE_NOT_FOUND = -32002

// The SDK Server builds an ajv instance per Server unless given a validator; the gateway builds a
// Server per request and never asks the client for input (elicitation, the only use), so one
// that is never called keeps that cost (most of a request's CPU) away.
const NO_ELICITATION: jsonSchemaValidator = {
  getValidator: () => () => ({valid: false, data: undefined, errorMessage: 'the gateway does not elicit input'}),
}

interface CompiledTool {
  cfg: ToolConfig
  listing: Tool
  validate: ArgsValidator
  call: CompiledCall
  pointer?: string[]
}

interface CompiledResource {
  cfg: ResourceConfig | ResourceTemplateConfig
  call?: CompiledCall
  text?: Template
  pointer?: string[]
  match?: UriTemplate
}

interface CompiledPrompt {
  cfg: PromptConfig
  messages: Array<{role: 'user' | 'assistant'; kind: 'text' | 'resource' | 'image'; template: Template}>
}

export class Gateway {
  readonly version: string
  readonly upstreams: Upstreams
  private readonly tools = new Map<string, CompiledTool>()
  private readonly toolList: Tool[]
  private readonly prompts = new Map<string, CompiledPrompt>()
  private readonly resources = new Map<string, CompiledResource>()
  private readonly templates: CompiledResource[] = []
  private readonly capabilities: ServerCapabilities
  private readonly info: {name: string; version: string; title?: string}
  private readonly instructions?: string

  constructor(readonly config: GatewayConfig, env: Record<string, string | undefined>, version: string) {
    this.version = version
    for (const t of config.tools ?? []) {
      const listing: Tool = {
        name: t.name,
        ...(t.title ? {title: t.title} : {}),
        description: t.description,
        inputSchema: t.inputSchema as Tool['inputSchema'],
        ...(t.outputSchema ? {outputSchema: t.outputSchema as Tool['outputSchema']} : {}),
        ...(t.annotations ? {annotations: t.annotations} : {}),
      }
      this.tools.set(t.name, {
        cfg: t,
        listing,
        validate: compileSchema(t.inputSchema),
        call: compileCall(t.http, env),
        pointer: t.response?.pointer === undefined ? undefined : parsePointer(t.response.pointer),
      })
    }
    this.toolList = [...this.tools.values()].map((t) => t.listing)
    for (const p of config.prompts ?? []) {
      this.prompts.set(p.name, {
        cfg: p,
        messages: p.messages.map((m) =>
          'text' in m
            ? {role: m.role, kind: 'text', template: parseTemplate(m.text)}
            : 'resource' in m
              ? {role: m.role, kind: 'resource', template: parseTemplate(m.resource)}
              : {role: m.role, kind: 'image', template: parseTemplate(m.image)},
        ),
      })
    }
    const compileResource = (r: ResourceConfig | ResourceTemplateConfig, templated: boolean): CompiledResource => ({
      cfg: r,
      call: r.http ? compileCall(r.http, env) : undefined,
      text: r.text !== undefined && templated ? parseTemplate(r.text) : undefined,
      pointer: r.response?.pointer === undefined ? undefined : parsePointer(r.response.pointer),
      match: 'uriTemplate' in r ? parseUriTemplate(r.uriTemplate) : undefined,
    })
    for (const r of config.resources ?? []) this.resources.set(r.uri, compileResource(r, false))
    for (const r of config.resourceTemplates ?? []) this.templates.push(compileResource(r, true))
    this.upstreams = new Upstreams(config.upstreams ?? [], env, version)
    const s = config.server ?? {}
    this.info = {name: s.name ?? DEFAULTS.serverName, version: s.version ?? version, ...(s.title ? {title: s.title} : {})}
    this.instructions = s.instructions
    this.capabilities = {
      tools: {},
      logging: {},
      ...(this.prompts.size ? {prompts: {}, completions: {}} : {}),
      ...(this.resources.size || this.templates.length ? {resources: {}} : {}),
    }
  }

  /** The names of the configured tools (readiness checks that a real tools/list has them all). */
  get toolNames(): string[] {
    return [...this.tools.keys()]
  }

  start(): void {
    this.upstreams.start()
  }

  async stop(): Promise<void> {
    await this.upstreams.stop()
  }

  server(): Server {
    const server = new Server(this.info, {capabilities: this.capabilities, jsonSchemaValidator: NO_ELICITATION, ...(this.instructions ? {instructions: this.instructions} : {})})
    const taken = new Set(this.tools.keys())

    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [...this.toolList, ...this.upstreams.tools(taken)],
    }))

    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      const started = performance.now()
      const {name} = req.params
      const args = req.params.arguments
      const tool = this.tools.get(name)
      if (tool) {
        const {result, status} = await this.callTool(tool, args)
        log({call: 'tool', name, status, ms: ms(started)})
        return result
      }
      const route = await this.upstreams.route(name, taken)
      if (!route) {
        log({call: 'tool', name, status: 'unknown_tool', ms: ms(started)})
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`)
      }
      const token = req.params._meta?.progressToken
      const onprogress =
        token === undefined
          ? undefined
          : (p: {progress: number; total?: number; message?: string}) =>
              void extra.sendNotification({method: 'notifications/progress', params: {...p, progressToken: token}}).catch(() => {})
      try {
        const {result, status} = await route.upstream.call(route.tool, args, onprogress)
        log({call: 'tool', name, upstream: route.upstream.name, status, ms: ms(started)})
        return result
      } catch (error) {
        log({call: 'tool', name, upstream: route.upstream.name, status: 'rejected', ms: ms(started)})
        throw error
      }
    })

    if (this.prompts.size) {
      server.setRequestHandler(ListPromptsRequestSchema, async () => ({
        prompts: [...this.prompts.values()].map(({cfg}) => ({
          name: cfg.name,
          ...(cfg.title ? {title: cfg.title} : {}),
          ...(cfg.description ? {description: cfg.description} : {}),
          ...(cfg.arguments ? {arguments: cfg.arguments.map(({values: _values, ...a}) => a)} : {}),
        })),
      }))
      server.setRequestHandler(GetPromptRequestSchema, async (req) => {
        const started = performance.now()
        const name = req.params.name
        try {
          const result = await this.getPrompt(name, req.params.arguments ?? {})
          log({call: 'prompt', name, status: 'ok', ms: ms(started)})
          return result
        } catch (error) {
          log({call: 'prompt', name, status: 'rejected', ms: ms(started)})
          throw error
        }
      })
      server.setRequestHandler(CompleteRequestSchema, async (req) => {
        const ref = req.params.ref
        let values: string[] = []
        if (ref.type === 'ref/prompt') {
          const arg = this.prompts.get(ref.name)?.cfg.arguments?.find((a) => a.name === req.params.argument.name)
          const typed = req.params.argument.value.toLowerCase()
          values = (arg?.values ?? []).filter((v) => v.toLowerCase().startsWith(typed))
        }
        return {completion: {values: values.slice(0, 100), total: values.length, hasMore: values.length > 100}}
      })
    }

    if (this.resources.size || this.templates.length) {
      server.setRequestHandler(ListResourcesRequestSchema, async () => ({
        resources: [...this.resources.values()].map(({cfg}) => describeResource(cfg as ResourceConfig)),
      }))
      server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
        resourceTemplates: this.templates.map(({cfg}) => {
          const {uriTemplate, name, title, description, mimeType} = cfg as ResourceTemplateConfig
          return {uriTemplate, name, ...(title ? {title} : {}), ...(description ? {description} : {}), ...(mimeType ? {mimeType} : {})}
        }),
      }))
      server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
        const started = performance.now()
        const uri = req.params.uri
        try {
          const result = await this.readResource(uri)
          log({call: 'resource', name: uri, status: 'ok', ms: ms(started)})
          return result
        } catch (error) {
          log({call: 'resource', name: uri, status: error instanceof McpError && error.code === RESOURCE_NOT_FOUND ? 'not_found' : 'error', ms: ms(started)})
          throw error
        }
      })
    }
    return server
  }

  private async callTool(tool: CompiledTool, rawArgs: Record<string, unknown> | undefined): Promise<{result: CallToolResult; status: string}> {
    // Validation fills in the schema's defaults, so it works on a copy of the caller's object.
    const args = structuredClone(rawArgs ?? {})
    if (!tool.validate(args)) {
      const why = (tool.validate.errors ?? []).map((e) => `${e.instancePath || '(arguments)'} ${e.message ?? 'is invalid'}`).join('; ')
      return {result: errorResult(`invalid arguments for ${tool.cfg.name}: ${why}`), status: 'invalid_arguments'}
    }
    const mapping = tool.cfg.response ?? {}
    const outcome = await tool.call.run(args, mapping.maxBytes)
    if (!outcome.ok) return {result: errorResult(outcome.message), status: outcome.reason}
    if (outcome.status >= 300) return {result: errorResult(httpError(outcome)), status: `http_${outcome.status}`}
    const as = mapping.as ?? 'auto'
    const kind =
      as !== 'auto'
        ? as
        : outcome.mediaType.startsWith('image/')
          ? 'image'
          : outcome.mediaType.startsWith('audio/')
            ? 'audio'
            : isJsonType(outcome.mediaType) || tool.pointer || tool.cfg.outputSchema
              ? 'json'
              : 'text'
    if (kind === 'image' || kind === 'audio') {
      const mimeType = outcome.mediaType || 'application/octet-stream'
      return {result: {content: [{type: kind, data: outcome.body.toString('base64'), mimeType}]}, status: 'ok'}
    }
    if (kind === 'text') return {result: {content: [{type: 'text', text: outcome.body.length ? outcome.body.toString('utf8') : statusLine(outcome)}]}, status: 'ok'}
    if (outcome.body.length === 0 && !tool.pointer && !tool.cfg.outputSchema) return {result: {content: [{type: 'text', text: statusLine(outcome)}]}, status: 'ok'}
    const selected = selectJson(outcome, tool.pointer, tool.cfg.response?.pointer)
    if ('error' in selected) return {result: errorResult(selected.error), status: 'bad_answer'}
    const value = selected.value
    const text = typeof value === 'string' ? value : JSON.stringify(value)
    if (!tool.cfg.outputSchema) return {result: {content: [{type: 'text', text}]}, status: 'ok'}
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return {result: errorResult(`${outcome.target} answered ${excerpt(Buffer.from(text), 100)}, not the JSON object the outputSchema describes`), status: 'bad_answer'}
    }
    return {result: {content: [{type: 'text', text}], structuredContent: value as Record<string, unknown>}, status: 'ok'}
  }

  private async getPrompt(name: string, args: Record<string, string>): Promise<GetPromptResult> {
    const prompt = this.prompts.get(name)
    if (!prompt) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`)
    const missing = (prompt.cfg.arguments ?? []).filter((a) => a.required && (args[a.name] === undefined || args[a.name] === '')).map((a) => a.name)
    if (missing.length) throw new McpError(ErrorCode.InvalidParams, `prompt ${name} needs the argument${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`)
    const messages: McpPromptMessage[] = []
    for (const m of prompt.messages) {
      const text = render(m.template, args)
      if (m.kind === 'text') {
        messages.push({role: m.role, content: {type: 'text', text}})
        continue
      }
      const read = await this.readResource(text)
      const contents = read.contents[0]
      if (m.kind === 'resource') {
        messages.push({role: m.role, content: {type: 'resource', resource: contents}})
      } else {
        if (!('blob' in contents) || !contents.mimeType?.startsWith('image/')) {
          throw new McpError(ErrorCode.InternalError, `prompt ${name}: resource ${text} is not an image (${contents.mimeType ?? 'no MIME type'})`)
        }
        messages.push({role: m.role, content: {type: 'image', data: contents.blob as string, mimeType: contents.mimeType}})
      }
    }
    return {...(prompt.cfg.description ? {description: prompt.cfg.description} : {}), messages}
  }

  private async readResource(uri: string): Promise<ReadResourceResult> {
    const fixed = this.resources.get(uri)
    if (fixed) {
      const r = fixed.cfg as ResourceConfig
      if (r.text !== undefined) return {contents: [{uri, mimeType: r.mimeType ?? 'text/plain', text: r.text}]}
      if (r.blob !== undefined) return {contents: [{uri, mimeType: r.mimeType ?? 'application/octet-stream', blob: r.blob}]}
      return this.fetchResource(fixed, uri, {})
    }
    for (const t of this.templates) {
      const vars = t.match!.match(uri)
      if (!vars) continue
      if (t.text) return {contents: [{uri, mimeType: t.cfg.mimeType ?? 'text/plain', text: render(t.text, vars)}]}
      return this.fetchResource(t, uri, vars)
    }
    throw new McpError(RESOURCE_NOT_FOUND, 'Resource not found', {uri})
  }

  private async fetchResource(r: CompiledResource, uri: string, args: Record<string, string>): Promise<ReadResourceResult> {
    const mapping: ResourceResponse = r.cfg.response ?? {}
    const outcome = await r.call!.run(args, mapping.maxBytes)
    if (!outcome.ok) throw new McpError(ErrorCode.InternalError, `resource ${uri}: ${outcome.message}`)
    if (outcome.status === 404) throw new McpError(RESOURCE_NOT_FOUND, 'Resource not found', {uri, reason: httpError(outcome)})
    if (outcome.status >= 300) throw new McpError(ErrorCode.InternalError, `resource ${uri}: ${httpError(outcome)}`)
    const as = mapping.as ?? 'auto'
    const kind = as !== 'auto' ? as : r.pointer ? 'json' : isTextualType(outcome.mediaType) ? 'text' : 'binary'
    if (kind === 'binary') return {contents: [{uri, mimeType: r.cfg.mimeType ?? (outcome.mediaType || 'application/octet-stream'), blob: outcome.body.toString('base64')}]}
    if (kind === 'text') return {contents: [{uri, mimeType: r.cfg.mimeType ?? (outcome.mediaType || 'text/plain'), text: outcome.body.toString('utf8')}]}
    const selected = selectJson(outcome, r.pointer, mapping.pointer)
    if ('error' in selected) throw new McpError(ErrorCode.InternalError, `resource ${uri}: ${selected.error}`)
    const text = typeof selected.value === 'string' ? selected.value : JSON.stringify(selected.value)
    return {contents: [{uri, mimeType: r.cfg.mimeType ?? (typeof selected.value === 'string' ? 'text/plain' : 'application/json'), text}]}
  }
}

function describeResource(r: ResourceConfig) {
  return {
    uri: r.uri,
    name: r.name,
    ...(r.title ? {title: r.title} : {}),
    ...(r.description ? {description: r.description} : {}),
    ...(r.mimeType ? {mimeType: r.mimeType} : r.text !== undefined ? {mimeType: 'text/plain'} : {}),
  }
}

function selectJson(outcome: Extract<Outcome, {ok: true}>, pointer: string[] | undefined, pointerText: string | undefined): {value: unknown} | {error: string} {
  let doc: unknown
  try {
    doc = JSON.parse(outcome.body.toString('utf8'))
  } catch {
    return {error: `${outcome.target} answered ${outcome.mediaType || 'something'} that is not JSON: ${excerpt(outcome.body)}`}
  }
  if (!pointer) return {value: doc}
  const value = resolvePointer(doc, pointer)
  if (value === undefined) return {error: `the answer from ${outcome.target} has nothing at ${pointerText}: ${excerpt(outcome.body)}`}
  return {value}
}

function statusLine(o: Extract<Outcome, {ok: true}>): string {
  return `HTTP ${o.status}${o.statusText ? ` ${o.statusText}` : ''}`
}

function httpError(o: Extract<Outcome, {ok: true}>): string {
  // Redirects are not followed: an in-cluster URL that redirects is a configuration to fix.
  if (o.status < 400) return `${statusLine(o)} from ${o.target} redirects${o.location ? ` to ${o.location}` : ''}; the gateway does not follow redirects (point the URL there)`
  const body = excerpt(o.body)
  return `${statusLine(o)} from ${o.target}${body ? `: ${body}` : ''}`
}

function errorResult(text: string): CallToolResult {
  return {isError: true, content: [{type: 'text', text}]}
}
