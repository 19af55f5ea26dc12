// The gateway's configuration: one JSON document (KAOS_GATEWAY_CONFIG, a ConfigMap key in a
// cluster) that kaos renders from MCPTool, MCPPrompt, MCPResource documents and an MCPServer's
// upstreams. The TypeScript types say what each field means; `configSchema` (zod) is the same
// format as a validator, and `configJsonSchema()` as JSON Schema. `parseConfig` is everything the
// gateway checks at start besides the environment (`checkEnv`), pure, so kaos can run the same
// checks at deploy time and print the same lines.
import {Ajv2019} from 'ajv/dist/2019.js'
import {Ajv2020} from 'ajv/dist/2020.js'
import {Ajv} from 'ajv'
import addFormatsModule from 'ajv-formats'
import {z} from 'zod'

import {jsonTemplates, parsePointer, parseTemplate, parseUriTemplate, placeholders, type Placeholder, type Template} from './template.js'

/** A header value: literal text (may hold `{{args.x}}` in tools), or taken from an env var at start. */
export type HeaderValue = string | {fromEnv: string; prefix?: string}

/**
 * An HTTP request to an in-cluster service. Placeholders `{{args.<name>}}` may appear in the
 * URL's path and query (each value percent-encoded, so `/` in a value cannot add a path segment
 * and `.`/`..` are refused), in `query` values, header strings and `body` strings, never in the
 * scheme, host or port: arguments cannot redirect the call elsewhere.
 */
export interface HttpCall {
  /** Default GET. */
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** `http://items.shop.svc.cluster.local:8080/items/{{args.id}}?full={{args.full}}` */
  url: string
  /**
   * Query parameters added to the URL. A value that is exactly one placeholder is left out when
   * the argument is absent and repeated (`tag=a&tag=b`) when it is an array.
   */
  query?: Record<string, string>
  headers?: Record<string, HeaderValue>
  /**
   * A JSON body (sent as application/json unless a Content-Type header is given). Strings are
   * templates; a string that is exactly one placeholder takes the argument's JSON value, and is
   * left out of its object when the argument is absent. `"{{args}}"` sends all arguments.
   */
  body?: unknown
  /** Default 10000. Covers connecting, the answer and its body. */
  timeoutMs?: number
}

/**
 * What a tool returns from the HTTP answer. HTTP status ≥ 400 (and 3xx: redirects are not
 * followed), an unreachable service, a timeout or an answer that does not fit the mapping become a
 * result with `isError: true` (the status and a body excerpt in its text), never a protocol error
 * or a crash.
 */
export interface ToolResponse {
  /** RFC 6901 pointer into the JSON answer (`/data/items`); default the whole body. */
  pointer?: string
  /**
   * auto (default): by the answer's Content-Type — image/* an image, audio/* audio, JSON as json,
   * anything else as text. json: the (pointed-to) value as text; a string as it is, anything else
   * as compact JSON. text: the body as it is. image, audio: the body base64-encoded, with its type.
   */
  as?: 'auto' | 'json' | 'text' | 'image' | 'audio'
  /** Largest answer read, default 5 MiB; more is an error. */
  maxBytes?: number
}

export interface ToolAnnotations {
  title?: string
  readOnlyHint?: boolean
  destructiveHint?: boolean
  idempotentHint?: boolean
  openWorldHint?: boolean
}

export interface ToolConfig {
  /** 1–128 of A–Z a–z 0–9 _ - . and unique among the gateway's tools. */
  name: string
  title?: string
  description: string
  /**
   * JSON Schema (2020-12 unless `$schema` names draft-07 or 2019-09) of type object; served as
   * written. Arguments are validated against it (with its defaults filled in) before the call;
   * invalid arguments are a tool error.
   */
  inputSchema: Record<string, unknown>
  /** When set, the mapped JSON value (an object) is also returned as structuredContent. */
  outputSchema?: Record<string, unknown>
  annotations?: ToolAnnotations
  http: HttpCall
  response?: ToolResponse
}

export interface PromptArgument {
  name: string
  description?: string
  required?: boolean
  /** Suggestions for completion/complete (filtered by what the client typed). */
  values?: string[]
}

/**
 * A prompt message: text (a template over the prompt's arguments), or a resource of this gateway
 * (a URI, may be a template such as `{{args.uri}}`) embedded as it is, or as an image.
 */
export type PromptMessage =
  | {role: 'user' | 'assistant'; text: string}
  | {role: 'user' | 'assistant'; resource: string}
  | {role: 'user' | 'assistant'; image: string}

export interface PromptConfig {
  name: string
  title?: string
  description?: string
  arguments?: PromptArgument[]
  messages: PromptMessage[]
}

/** How a resource's HTTP answer becomes its contents. */
export interface ResourceResponse {
  pointer?: string
  /** auto (default): text for textual types (text/*, JSON, XML, YAML, JavaScript), else a base64 blob. */
  as?: 'auto' | 'json' | 'text' | 'binary'
  maxBytes?: number
}

/** A resource: exactly one of inline `text`, inline `blob` (base64) or an `http` source. */
export interface ResourceConfig {
  /** An absolute URI, unique among the gateway's resources: `docs://runbook`, `https://…`. */
  uri: string
  name: string
  title?: string
  description?: string
  /** Default text/plain for text, application/octet-stream for blob, the answer's type for http. */
  mimeType?: string
  text?: string
  blob?: string
  /** Read on every resources/read. No placeholders: a resource has no arguments. */
  http?: HttpCall
  response?: ResourceResponse
}

/**
 * A family of resources: `uriTemplate` (RFC 6570 `{name}`, or `{+name}` to match across `/`)
 * binds variables that `text` or `http` use as `{{args.<name>}}`.
 */
export interface ResourceTemplateConfig {
  uriTemplate: string
  name: string
  title?: string
  description?: string
  mimeType?: string
  text?: string
  http?: HttpCall
  response?: ResourceResponse
}

/** Another MCP server (streamable HTTP) whose tools the gateway serves too. */
export interface UpstreamConfig {
  /** A–Z a–z 0–9 _ -, unique; names the upstream in logs and in the default prefix. */
  name: string
  /** Its MCP endpoint: `http://mcpserver-k8s.tools.svc.cluster.local:8000/mcp`. */
  url: string
  headers?: Record<string, HeaderValue>
  /** Each request to it (connect, list, call) waits at most this long; default 5000. */
  timeoutMs?: number
  /** Put before its tool names; default `<name>_`; may be "". */
  prefix?: string
  /** How long its tool list is reused before it is listed again; default 10000. */
  cacheMs?: number
}

export interface ServerSettings {
  /** The MCP server name in the initialize result; default "kaos-gateway". */
  name?: string
  version?: string
  title?: string
  instructions?: string
  /**
   * Origins browsers may send besides loopback ones (`https://app.example.com`, a `:*` port
   * wildcard, or `*` for any). A request with another Origin gets 403; without one it is served.
   */
  allowedOrigins?: string[]
  /** When set, the Host header must be one of these (`:*` port wildcard); else 421. */
  allowedHosts?: string[]
  /** After SIGTERM, in-flight calls get this long to finish; default 15000. */
  shutdownTimeoutMs?: number
}

export interface GatewayConfig {
  /** The format's version: 1 (the only one so far). */
  formatVersion?: 1
  server?: ServerSettings
  tools?: ToolConfig[]
  prompts?: PromptConfig[]
  resources?: ResourceConfig[]
  resourceTemplates?: ResourceTemplateConfig[]
  upstreams?: UpstreamConfig[]
}

export const DEFAULTS = {
  httpTimeoutMs: 10_000,
  maxResponseBytes: 5 * 1024 * 1024,
  upstreamTimeoutMs: 5_000,
  upstreamCacheMs: 10_000,
  shutdownTimeoutMs: 15_000,
  serverName: 'kaos-gateway',
} as const

// The same format as a zod schema. Strict objects: an unknown key is an error (a typo would
// otherwise silently drop a header or a timeout).

const ms = z.number().int().positive().max(3_600_000)
const jsonSchemaObject = z.record(z.string(), z.unknown())
const headerValue = z.union([z.string(), z.strictObject({fromEnv: z.string(), prefix: z.string().optional()})], {
  error: 'expected a string or {"fromEnv": "VAR", "prefix"?: "…"}',
})
const headers = z.record(z.string(), headerValue)
const httpCall = z.strictObject({
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
  url: z.string(),
  query: z.record(z.string(), z.string()).optional(),
  headers: headers.optional(),
  body: z.unknown().optional(),
  timeoutMs: ms.optional(),
})
const role = z.enum(['user', 'assistant'])

export const configSchema = z.strictObject({
  formatVersion: z.literal(1).optional(),
  server: z
    .strictObject({
      name: z.string().min(1).optional(),
      version: z.string().optional(),
      title: z.string().optional(),
      instructions: z.string().optional(),
      allowedOrigins: z.array(z.string()).optional(),
      allowedHosts: z.array(z.string()).optional(),
      shutdownTimeoutMs: ms.optional(),
    })
    .optional(),
  tools: z
    .array(
      z.strictObject({
        name: z.string(),
        title: z.string().optional(),
        description: z.string(),
        inputSchema: jsonSchemaObject,
        outputSchema: jsonSchemaObject.optional(),
        annotations: z
          .strictObject({
            title: z.string().optional(),
            readOnlyHint: z.boolean().optional(),
            destructiveHint: z.boolean().optional(),
            idempotentHint: z.boolean().optional(),
            openWorldHint: z.boolean().optional(),
          })
          .optional(),
        http: httpCall,
        response: z
          .strictObject({
            pointer: z.string().optional(),
            as: z.enum(['auto', 'json', 'text', 'image', 'audio']).optional(),
            maxBytes: z.number().int().positive().optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  prompts: z
    .array(
      z.strictObject({
        name: z.string(),
        title: z.string().optional(),
        description: z.string().optional(),
        arguments: z
          .array(
            z.strictObject({
              name: z.string(),
              description: z.string().optional(),
              required: z.boolean().optional(),
              values: z.array(z.string()).optional(),
            }),
          )
          .optional(),
        messages: z.array(
          z.union(
            [
              z.strictObject({role, text: z.string()}),
              z.strictObject({role, resource: z.string()}),
              z.strictObject({role, image: z.string()}),
            ],
            {error: 'expected {"role": "user"|"assistant"} with one of "text", "resource" (a URI) or "image" (a URI)'},
          ),
        ),
      }),
    )
    .optional(),
  resources: z
    .array(
      z.strictObject({
        uri: z.string(),
        name: z.string(),
        title: z.string().optional(),
        description: z.string().optional(),
        mimeType: z.string().optional(),
        text: z.string().optional(),
        blob: z.string().optional(),
        http: httpCall.optional(),
        response: z
          .strictObject({
            pointer: z.string().optional(),
            as: z.enum(['auto', 'json', 'text', 'binary']).optional(),
            maxBytes: z.number().int().positive().optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  resourceTemplates: z
    .array(
      z.strictObject({
        uriTemplate: z.string(),
        name: z.string(),
        title: z.string().optional(),
        description: z.string().optional(),
        mimeType: z.string().optional(),
        text: z.string().optional(),
        http: httpCall.optional(),
        response: z
          .strictObject({
            pointer: z.string().optional(),
            as: z.enum(['auto', 'json', 'text', 'binary']).optional(),
            maxBytes: z.number().int().positive().optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  upstreams: z
    .array(
      z.strictObject({
        name: z.string(),
        url: z.string(),
        headers: headers.optional(),
        timeoutMs: ms.optional(),
        prefix: z.string().optional(),
        cacheMs: ms.optional(),
      }),
    )
    .optional(),
})

// The types above and the schema describe one format: this fails to compile if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const _sameFormat: Same<z.infer<typeof configSchema>, GatewayConfig> = true
void _sameFormat

/** The format as JSON Schema (draft 2020-12), for editors and for kaos's own checks. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, {target: 'draft-2020-12'}),
    $id: 'https://kaos.tools/schemas/gateway-config.json',
    title: 'kaos gateway configuration',
  } as Record<string, unknown>
}

export type ParseResult = {ok: true; config: GatewayConfig} | {ok: false; errors: string[]}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/
const UPSTREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Validate a parsed JSON value. Every problem is one line: `<where>: <what is wrong and the fix>`. */
export function parseConfig(raw: unknown): ParseResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {ok: false, errors: ['the configuration must be a JSON object']}
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) return {ok: false, errors: parsed.error.issues.map((i) => describeIssue(i, raw))}
  const config = parsed.data as GatewayConfig
  const errors: string[] = []
  const check = new Checker(errors)
  check.config(config)
  return errors.length ? {ok: false, errors} : {ok: true, config}
}

/** Env vars the configuration reads (`fromEnv`) that are unset: one line each. */
export function checkEnv(config: GatewayConfig, env: Record<string, string | undefined>): string[] {
  const errors: string[] = []
  const each = (where: string, hs: Record<string, HeaderValue> | undefined) => {
    for (const [name, v] of Object.entries(hs ?? {})) {
      if (typeof v !== 'string' && env[v.fromEnv] === undefined) {
        errors.push(`${where}.headers.${name}: env var ${v.fromEnv} is not set (set it, e.g. from a Secret, or remove the header)`)
      }
    }
  }
  config.tools?.forEach((t, i) => each(`tools[${i}] (${t.name}).http`, t.http.headers))
  config.resources?.forEach((r, i) => each(`resources[${i}] (${r.uri}).http`, r.http?.headers))
  config.resourceTemplates?.forEach((r, i) => each(`resourceTemplates[${i}] (${r.uriTemplate}).http`, r.http?.headers))
  config.upstreams?.forEach((u, i) => each(`upstreams[${i}] (${u.name})`, u.headers))
  return errors
}

// JSON Schema dialects by `$schema`; 2020-12 is MCP's default when none is named.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv
const DIALECTS: Record<string, () => Ajv> = {
  '2020-12': () => addFormats(new Ajv2020({strict: false, allErrors: true, useDefaults: true}) as unknown as Ajv),
  '2019-09': () => addFormats(new Ajv2019({strict: false, allErrors: true, useDefaults: true}) as unknown as Ajv),
  'draft-07': () => addFormats(new Ajv({strict: false, allErrors: true, useDefaults: true})),
}
const ajvs = new Map<string, Ajv>()

function dialectOf(schema: Record<string, unknown>): string | undefined {
  const s = schema.$schema
  if (s === undefined) return '2020-12'
  if (typeof s !== 'string') return undefined
  if (/json-schema\.org\/draft\/2020-12\/schema#?$/.test(s)) return '2020-12'
  if (/json-schema\.org\/draft\/2019-09\/schema#?$/.test(s)) return '2019-09'
  if (/json-schema\.org\/draft-0[67]\/schema#?$/.test(s)) return 'draft-07'
  return undefined
}

export interface ArgsValidator {
  (args: unknown): boolean
  errors?: Array<{instancePath: string; message?: string}> | null
}

/** Compile a tool's JSON Schema (throws with ajv's message). Defaults are filled in on validation. */
export function compileSchema(schema: Record<string, unknown>): ArgsValidator {
  const dialect = dialectOf(schema)
  if (!dialect) throw new Error(`unsupported $schema ${JSON.stringify(schema.$schema)} (use 2020-12, 2019-09 or draft-07)`)
  let ajv = ajvs.get(dialect)
  if (!ajv) ajvs.set(dialect, (ajv = DIALECTS[dialect]()))
  // A $id would register the schema in the shared instance; compile a copy without one.
  const {$id: _ignored, ...rest} = schema
  return ajv.compile(rest) as ArgsValidator
}

class Checker {
  constructor(private readonly errors: string[]) {}

  private add(where: string, message: string) {
    this.errors.push(`${where}: ${message}`)
  }

  config(c: GatewayConfig) {
    this.server(c.server)
    const names = new Map<string, number>()
    c.tools?.forEach((t, i) => {
      const where = `tools[${i}] (${t.name})`
      if (!TOOL_NAME.test(t.name)) this.add(`tools[${i}].name`, `${JSON.stringify(t.name)} is not a valid tool name (1-128 of A-Z a-z 0-9 _ - .)`)
      if (names.has(t.name)) this.add(where, `the name is already used by tools[${names.get(t.name)}]`)
      else names.set(t.name, i)
      this.tool(t, where)
    })
    const prompts = new Map<string, number>()
    const resourceUris = new Set((c.resources ?? []).map((r) => r.uri))
    const templates = (c.resourceTemplates ?? []).flatMap((r) => {
      try {
        return [parseUriTemplate(r.uriTemplate)]
      } catch {
        return []
      }
    })
    c.prompts?.forEach((p, i) => {
      const where = `prompts[${i}] (${p.name})`
      if (!p.name) this.add(`prompts[${i}].name`, 'a prompt needs a name')
      if (prompts.has(p.name)) this.add(where, `the name is already used by prompts[${prompts.get(p.name)}]`)
      else prompts.set(p.name, i)
      this.prompt(p, where, (uri) => resourceUris.has(uri) || templates.some((t) => t.match(uri)))
    })
    const uris = new Map<string, number>()
    c.resources?.forEach((r, i) => {
      const where = `resources[${i}] (${r.uri})`
      if (uris.has(r.uri)) this.add(where, `the URI is already used by resources[${uris.get(r.uri)}]`)
      else uris.set(r.uri, i)
      if (!isAbsoluteUri(r.uri)) this.add(`resources[${i}].uri`, `${JSON.stringify(r.uri)} is not an absolute URI (scheme:rest, e.g. docs://runbook)`)
      this.resourceSource(r, where, new Set(), false)
      if (r.blob !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(r.blob)) this.add(`${where}.blob`, 'is not base64')
    })
    const uriTemplates = new Map<string, number>()
    c.resourceTemplates?.forEach((r, i) => {
      const where = `resourceTemplates[${i}] (${r.uriTemplate})`
      if (uriTemplates.has(r.uriTemplate)) this.add(where, `the URI template is already used by resourceTemplates[${uriTemplates.get(r.uriTemplate)}]`)
      else uriTemplates.set(r.uriTemplate, i)
      let vars = new Set<string>()
      try {
        vars = new Set(parseUriTemplate(r.uriTemplate).variables)
        if (!isAbsoluteUri(r.uriTemplate.replace(/\{[+]?[A-Za-z0-9_]+\}/g, 'x'))) this.add(`${where}.uriTemplate`, 'is not an absolute URI template (scheme:rest)')
      } catch (error) {
        this.add(`${where}.uriTemplate`, (error as Error).message)
      }
      if ((r as {blob?: unknown}).blob !== undefined) this.add(where, '"blob" is for resources; a template has "text" or "http"')
      this.resourceSource(r, where, vars, true)
    })
    const upstreams = new Map<string, number>()
    c.upstreams?.forEach((u, i) => {
      const where = `upstreams[${i}] (${u.name})`
      if (!UPSTREAM_NAME.test(u.name)) this.add(`upstreams[${i}].name`, `${JSON.stringify(u.name)} is not a valid upstream name (1-64 of A-Z a-z 0-9 _ -)`)
      if (upstreams.has(u.name)) this.add(where, `the name is already used by upstreams[${upstreams.get(u.name)}]`)
      else upstreams.set(u.name, i)
      if (u.prefix !== undefined && !/^[A-Za-z0-9_.-]*$/.test(u.prefix)) this.add(`${where}.prefix`, `${JSON.stringify(u.prefix)} may hold only A-Z a-z 0-9 _ - . (tool-name characters)`)
      this.plainUrl(u.url, `${where}.url`)
      this.headers(u.headers, where, undefined, false)
    })
  }

  private server(s: ServerSettings | undefined) {
    for (const [i, o] of (s?.allowedOrigins ?? []).entries()) {
      if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o.replace(/\/$/, ''))) this.add(`server.allowedOrigins[${i}]`, `${JSON.stringify(o)} is not an origin (scheme://host[:port], a :* port wildcard, or *)`)
    }
    for (const [i, h] of (s?.allowedHosts ?? []).entries()) {
      if (h !== '*' && !/^[^/\s]+$/.test(h)) this.add(`server.allowedHosts[${i}]`, `${JSON.stringify(h)} is not a host (host[:port] or host:*)`)
    }
  }

  private tool(t: ToolConfig, where: string) {
    if (!t.description.trim()) this.add(`${where}.description`, 'is empty; clients show it to the model, so say what the tool does')
    let argNames: Set<string> | undefined
    if (t.inputSchema.type !== 'object') this.add(`${where}.inputSchema`, 'must have "type": "object" (MCP tools take an object of arguments)')
    else {
      try {
        compileSchema(t.inputSchema)
      } catch (error) {
        this.add(`${where}.inputSchema`, `is not a valid JSON Schema: ${(error as Error).message}`)
      }
      const props = t.inputSchema.properties
      argNames = new Set(props && typeof props === 'object' ? Object.keys(props) : [])
    }
    if (t.outputSchema) {
      if (t.outputSchema.type !== 'object') this.add(`${where}.outputSchema`, 'must have "type": "object" (structured content is an object)')
      else {
        try {
          compileSchema(t.outputSchema)
        } catch (error) {
          this.add(`${where}.outputSchema`, `is not a valid JSON Schema: ${(error as Error).message}`)
        }
      }
      if (t.response?.as && !['auto', 'json'].includes(t.response.as)) this.add(`${where}.response.as`, `is ${t.response.as}, but an outputSchema needs JSON (as: json or auto)`)
    }
    this.http(t.http, `${where}.http`, argNames, true)
    this.response(t.response, `${where}.response`)
  }

  private response(r: {pointer?: string; as?: string} | undefined, where: string) {
    if (r?.pointer === undefined) return
    try {
      parsePointer(r.pointer)
    } catch (error) {
      this.add(`${where}.pointer`, (error as Error).message)
    }
    if (r.as && !['auto', 'json'].includes(r.as)) this.add(`${where}.pointer`, `selects inside JSON, but "as" is ${r.as} (use json or auto, or drop the pointer)`)
  }

  private resourceSource(r: {text?: string; blob?: string; http?: HttpCall; response?: ResourceResponse}, where: string, vars: Set<string>, templated: boolean) {
    const sources = ['text', 'blob', 'http'].filter((k) => (r as Record<string, unknown>)[k] !== undefined)
    if (sources.length !== 1) this.add(where, `needs exactly one of "text"${templated ? '' : ', "blob"'} or "http" (has ${sources.length ? sources.join(', ') : 'none'})`)
    if (r.response && !r.http) this.add(`${where}.response`, 'only applies to an "http" source')
    // A plain resource's text is served as written: braces in it are content, not templates.
    if (r.text !== undefined && templated) this.template(r.text, `${where}.text`, vars, 'the URI template has no variable')
    if (r.http) this.http(r.http, `${where}.http`, vars, templated)
    this.response(r.response, `${where}.response`)
  }

  private prompt(p: PromptConfig, where: string, resourceExists: (uri: string) => boolean) {
    const args = new Set<string>()
    p.arguments?.forEach((a, i) => {
      if (!/^[A-Za-z0-9_$-]+$/.test(a.name)) this.add(`${where}.arguments[${i}].name`, `${JSON.stringify(a.name)} is not a valid argument name (A-Z a-z 0-9 _ - $)`)
      if (args.has(a.name)) this.add(`${where}.arguments[${i}]`, `argument ${a.name} is declared twice`)
      args.add(a.name)
    })
    if (p.messages.length === 0) this.add(`${where}.messages`, 'a prompt needs at least one message')
    p.messages.forEach((m, i) => {
      const at = `${where}.messages[${i}]`
      if ('text' in m) this.template(m.text, `${at}.text`, args, 'the prompt declares no argument')
      else {
        const uri = 'resource' in m ? m.resource : m.image
        const t = this.template(uri, `${at}.${'resource' in m ? 'resource' : 'image'}`, args, 'the prompt declares no argument')
        if (t && placeholders(t).length === 0 && !resourceExists(uri)) {
          this.add(`${at}.${'resource' in m ? 'resource' : 'image'}`, `${uri} is not one of this gateway's resources (add it to "resources")`)
        }
      }
    })
  }

  /**
   * Parse a template and check its placeholders name known arguments: `names` undefined accepts
   * any, null accepts none (a plain resource has no arguments).
   */
  private template(text: string, where: string, names: Set<string> | undefined | null, none: string): Template | undefined {
    let t: Template
    try {
      t = parseTemplate(text)
    } catch (error) {
      this.add(where, (error as Error).message)
      return undefined
    }
    for (const p of placeholders(t)) this.argRef(p, where, names, none)
    return t
  }

  private argRef(p: Placeholder, where: string, names: Set<string> | undefined | null, none: string) {
    if (names === null) {
      this.add(where, `${p.source}: ${none}`)
      return
    }
    if (!names || p.path.length === 0 || names.has(p.path[0])) return
    const known = [...names]
    this.add(where, `${p.source}: ${known.length ? `no argument "${p.path[0]}" (known: ${known.join(', ')})` : none}`)
  }

  private http(h: HttpCall, where: string, names: Set<string> | undefined, argsAllowed: boolean) {
    // argsAllowed false: a plain resource, whose call has no arguments to fill in.
    const none = argsAllowed ? 'inputSchema declares no properties' : 'a resource has no arguments (use a resource template)'
    const scope = argsAllowed ? names : null
    const url = this.template(h.url, `${where}.url`, scope, none)
    if (url) this.urlShape(h.url, url, `${where}.url`)
    for (const [k, v] of Object.entries(h.query ?? {})) this.template(v, `${where}.query.${k}`, scope, none)
    this.headers(h.headers, where, scope, argsAllowed)
    if (h.body !== undefined) {
      if (h.method === undefined || h.method === 'GET' || h.method === 'HEAD') this.add(`${where}.body`, `a ${h.method ?? 'GET'} request has no body (set "method", e.g. POST)`)
      try {
        for (const t of jsonTemplates(h.body)) for (const p of placeholders(t)) this.argRef(p, `${where}.body`, scope, none)
      } catch (error) {
        this.add(`${where}.body`, (error as Error).message)
      }
    }
  }

  private headers(hs: Record<string, HeaderValue> | undefined, where: string, names: Set<string> | undefined | null, argsAllowed: boolean) {
    for (const [k, v] of Object.entries(hs ?? {})) {
      const at = `${where}.headers.${k}`
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) this.add(at, `${JSON.stringify(k)} is not a valid header name`)
      if (typeof v === 'string') {
        if (/[\r\n\0]/.test(v)) this.add(at, 'a header value cannot hold line breaks')
        if (argsAllowed) this.template(v, at, names, 'inputSchema declares no properties')
        else if (/\{\{/.test(v)) this.add(at, 'placeholders are only for tool headers')
      } else if (!ENV_NAME.test(v.fromEnv)) {
        this.add(`${at}.fromEnv`, `${JSON.stringify(v.fromEnv)} is not an env var name`)
      }
    }
  }

  /** Placeholders may fill the path and query, never the scheme, host or port. */
  private urlShape(text: string, t: Template, where: string) {
    const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(text)
    if (!m || !['http', 'https'].includes(m[1].toLowerCase())) {
      this.add(where, `${JSON.stringify(text)} must be an absolute http:// or https:// URL (http://<service>.<namespace>.svc.cluster.local:<port>/path)`)
      return
    }
    if (m[2].includes('{{')) {
      this.add(where, 'a placeholder in the host or port would let arguments choose where the call goes; use them in the path or query only')
      return
    }
    if (text.includes('#')) this.add(where, 'a URL fragment is never sent; remove the "#…" part')
    const sample = t.parts.map((p) => (typeof p === 'string' ? p : 'x')).join('')
    try {
      new URL(sample)
    } catch {
      this.add(where, `${JSON.stringify(text)} is not a valid URL`)
      return
    }
    const path = text.slice(m[0].length).split('?')[0]
    if (path.split('/').some((s) => s === '.' || s === '..')) this.add(where, 'the path has a "." or ".." segment; write the path it means')
  }

  private plainUrl(text: string, where: string) {
    try {
      const u = new URL(text)
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme')
    } catch {
      this.add(where, `${JSON.stringify(text)} must be an absolute http:// or https:// URL (its MCP endpoint, usually …:8000/mcp)`)
    }
  }
}

function isAbsoluteUri(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(s)
}

// zod issues as one line each, with the item's name where the path runs through a list.

const KNOWN_KEYS = [
  'formatVersion', 'server', 'tools', 'prompts', 'resources', 'resourceTemplates', 'upstreams', 'name', 'version', 'title', 'instructions',
  'allowedOrigins', 'allowedHosts', 'shutdownTimeoutMs', 'description', 'inputSchema', 'outputSchema', 'annotations', 'http', 'response',
  'method', 'url', 'query', 'headers', 'body', 'timeoutMs', 'pointer', 'as', 'maxBytes', 'arguments', 'messages', 'role', 'text', 'resource',
  'image', 'required', 'values', 'uri', 'mimeType', 'blob', 'uriTemplate', 'prefix', 'cacheMs', 'fromEnv', 'readOnlyHint', 'destructiveHint',
  'idempotentHint', 'openWorldHint',
]

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = pathText(issue.path, raw) || '(top level)'
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${where}: unknown key ${JSON.stringify(k)}${suggest(k)}`).join('\n')
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}: is required`
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`
}

function suggest(key: string): string {
  let best: string | undefined
  let bestD = 3
  for (const k of KNOWN_KEYS) {
    const d = distance(key.toLowerCase(), k.toLowerCase())
    if (d < bestD) [best, bestD] = [k, d]
  }
  return best ? ` (did you mean "${best}"?)` : ''
}

function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]
}

function pathText(path: PropertyKey[], raw: unknown): string {
  let out = ''
  let node = raw
  for (const seg of path) {
    if (typeof seg === 'number') {
      out += `[${seg}]`
      node = Array.isArray(node) ? node[seg] : undefined
      const label = node && typeof node === 'object' ? ((node as Record<string, unknown>).name ?? (node as Record<string, unknown>).uri ?? (node as Record<string, unknown>).uriTemplate) : undefined
      if (typeof label === 'string' && label) out += ` (${label})`
    } else {
      out += out ? `.${String(seg)}` : String(seg)
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[seg as string] : undefined
    }
  }
  return out
}
