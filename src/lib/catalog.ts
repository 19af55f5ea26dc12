/**
 * Declarative MCP parts (kinds MCPTool, MCPPrompt, MCPResource): tools that call in-cluster HTTP
 * services, templated prompts, resources. An MCPServer with `runtime: gateway` gathers the ones
 * its `toolSelector` matches — from the input and from those stored in the cluster as labelled
 * ConfigMaps — into the gateway's configuration (runtimes/gateway, whose own parser checks it).
 * Pure: no I/O.
 */
import {z} from 'zod'

import type {GatewayConfig, HeaderValue, HttpCall, PromptConfig, ResourceConfig, ResourceTemplateConfig, ToolConfig, UpstreamConfig} from '../../runtimes/gateway/src/config.js'
import {parseDuration} from './duration.js'
import {API_VERSION, CATALOG_KINDS, type CatalogKind, isCatalogKind} from './kinds.js'

export {CATALOG_KINDS, type CatalogKind, isCatalogKind} from './kinds.js'

const secretKeyRef = z.strictObject({name: z.string().min(1), key: z.string().min(1)})

/** A header: literal text (tools may use `{{args.x}}`), or a Secret's key (the gateway reads it from its env). */
const HeaderSchema = z.union([z.string(), z.strictObject({secretKeyRef, prefix: z.string().optional()})], {
  error: 'expected a string or {secretKeyRef: {name, key}, prefix?}',
})

/** An in-cluster Service, in place of the URL's scheme, host and port. */
const ServiceRef = z.strictObject({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535),
})

const HttpSchema = z
  .strictObject({
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    /** `http://items.shop.svc.cluster.local:8080/items/{{args.id}}`; or `service` + `path`. */
    url: z.string().min(1).optional(),
    service: ServiceRef.optional(),
    path: z.string().startsWith('/').optional(),
    query: z.record(z.string(), z.string()).optional(),
    headers: z.record(z.string(), HeaderSchema).optional(),
    body: z.unknown().optional(),
    /** `5s`, `500ms`; default 10s. */
    timeout: z.string().optional(),
  })
  .refine((h) => Boolean(h.url) !== Boolean(h.service), {message: 'needs either url or service (with path), not both'})

const ResponseSchema = z.strictObject({
  pointer: z.string().optional(),
  as: z.enum(['auto', 'json', 'text', 'image', 'audio']).optional(),
  maxBytes: z.number().int().positive().optional(),
})

export const MCPToolSpecSchema = z.strictObject({
  /** The tool's MCP name when it cannot be the document's (MCP names may have `_` and `.`). */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be 1-128 letters, digits, "_", "-" or "."').optional(),
  title: z.string().optional(),
  description: z.string().min(1, 'is required: clients choose tools by it'),
  inputSchema: z.record(z.string(), z.unknown()).default({type: 'object', properties: {}}),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
  http: HttpSchema,
  response: ResponseSchema.optional(),
})

export const MCPPromptSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/).optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  arguments: z.array(z.strictObject({name: z.string().min(1), description: z.string().optional(), required: z.boolean().optional(), values: z.array(z.string()).optional()})).optional(),
  messages: z
    .array(
      z.union([
        z.strictObject({role: z.enum(['user', 'assistant']), text: z.string()}),
        z.strictObject({role: z.enum(['user', 'assistant']), resource: z.string()}),
        z.strictObject({role: z.enum(['user', 'assistant']), image: z.string()}),
      ]),
    )
    .min(1, 'needs at least one message'),
})

export const MCPResourceSpecSchema = z
  .strictObject({
    /** An absolute URI (`docs://runbook`), or `uriTemplate` for a family (`items://{id}`). */
    uri: z.string().min(1).optional(),
    uriTemplate: z.string().min(1).optional(),
    name: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    mimeType: z.string().optional(),
    text: z.string().optional(),
    blob: z.string().optional(),
    http: HttpSchema.optional(),
    response: z.strictObject({pointer: z.string().optional(), as: z.enum(['auto', 'json', 'text', 'binary']).optional(), maxBytes: z.number().int().positive().optional()}).optional(),
  })
  .refine((r) => Boolean(r.uri) !== Boolean(r.uriTemplate), {message: 'needs either uri or uriTemplate'})
  .refine((r) => [r.text, r.blob, r.http].filter((x) => x !== undefined).length === 1, {message: 'needs exactly one of text, blob or http'})

export const CATALOG_SPEC_SCHEMAS = {MCPTool: MCPToolSpecSchema, MCPPrompt: MCPPromptSpecSchema, MCPResource: MCPResourceSpecSchema} as const

interface CatalogMeta {
  name: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
export interface MCPToolDoc {apiVersion: typeof API_VERSION; kind: 'MCPTool'; metadata: CatalogMeta; spec: z.output<typeof MCPToolSpecSchema>}
export interface MCPPromptDoc {apiVersion: typeof API_VERSION; kind: 'MCPPrompt'; metadata: CatalogMeta; spec: z.output<typeof MCPPromptSpecSchema>}
export interface MCPResourceDoc {apiVersion: typeof API_VERSION; kind: 'MCPResource'; metadata: CatalogMeta; spec: z.output<typeof MCPResourceSpecSchema>}
export type CatalogDoc = MCPToolDoc | MCPPromptDoc | MCPResourceDoc

/** A Kubernetes label selector (matchLabels and matchExpressions). */
export const LabelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(z.strictObject({key: z.string().min(1), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional()}))
    .optional(),
})
export type LabelSelector = z.output<typeof LabelSelectorSchema>

/** Does `labels` match the selector (Kubernetes semantics; an empty selector matches everything)? */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const e of sel.matchExpressions ?? []) {
    const has = k(e.key)
    if (e.operator === 'Exists' && !has) return false
    if (e.operator === 'DoesNotExist' && has) return false
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(labels[e.key]))) return false
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(labels[e.key])) return false
  }
  return true
  function k(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(labels, key)
  }
}

/** The selector as a label-selector string, for list queries. */
export function selectorQuery(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`)
  }
  return parts.join(',')
}

/** The env variables the gateway needs for Secret-backed headers, and what they are filled from. */
export interface GatewayEnv {
  name: string
  secretKeyRef: {name: string; key: string}
}

/** The in-cluster URL of a Service reference. */
function serviceBase(s: {name: string; namespace?: string; port: number}, namespace: string): string {
  return `http://${s.name}.${s.namespace ?? namespace}.svc.cluster.local:${s.port}`
}

/** Every in-cluster Service a document calls: `{name, namespace}` (to check they exist before deploying). */
export function servicesCalled(docs: CatalogDoc[], namespace: string): Array<{name: string; namespace: string; by: string}> {
  const out: Array<{name: string; namespace: string; by: string}> = []
  for (const d of docs) {
    const http = d.kind === 'MCPPrompt' ? undefined : d.spec.http
    if (!http) continue
    const by = `${d.kind} "${d.metadata.name}"`
    if (http.service) out.push({name: http.service.name, namespace: http.service.namespace ?? d.metadata.namespace ?? namespace, by})
    else if (http.url) {
      const m = /^https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?[:/]/.exec(http.url)
      if (m) out.push({name: m[1], namespace: m[2], by})
    }
  }
  return out
}

/**
 * The gateway's configuration from the documents its selector picked (and the MCP servers it
 * aggregates). Secret-backed headers become env variables named here, read by the gateway as
 * `{fromEnv}`; nothing secret lands in the configuration.
 */
export function gatewayConfig(
  docs: CatalogDoc[],
  opts: {namespace: string; server?: {name?: string; instructions?: string}; upstreams?: UpstreamConfig[]},
): {config: GatewayConfig; env: GatewayEnv[]; origins: ConfigOrigins} {
  const env: GatewayEnv[] = []
  const secretEnv = (ref: {name: string; key: string}) => {
    const existing = env.find((e) => e.secretKeyRef.name === ref.name && e.secretKeyRef.key === ref.key)
    if (existing) return existing.name
    const name = `KAOS_GATEWAY_SECRET_${env.length}`
    env.push({name, secretKeyRef: ref})
    return name
  }
  const http = (h: z.output<typeof HttpSchema>, where: string): HttpCall => {
    let timeoutMs: number | undefined
    if (h.timeout !== undefined) timeoutMs = parseDuration(h.timeout, `${where}: spec.http.timeout`)
    const headers = h.headers
      ? Object.fromEntries(Object.entries(h.headers).map(([k, v]): [string, HeaderValue] => [k, typeof v === 'string' ? v : {fromEnv: secretEnv(v.secretKeyRef), ...(v.prefix ? {prefix: v.prefix} : {})}]))
      : undefined
    return {
      ...(h.method ? {method: h.method} : {}),
      url: h.url ?? `${serviceBase(h.service!, opts.namespace)}${h.path ?? '/'}`,
      ...(h.query ? {query: h.query} : {}),
      ...(headers ? {headers} : {}),
      ...(h.body !== undefined ? {body: h.body} : {}),
      ...(timeoutMs !== undefined ? {timeoutMs} : {}),
    }
  }
  const byName = [...docs].sort((a, b) => a.kind.localeCompare(b.kind) || a.metadata.name.localeCompare(b.metadata.name))
  const tools: ToolConfig[] = []
  const prompts: PromptConfig[] = []
  const resources: ResourceConfig[] = []
  const resourceTemplates: ResourceTemplateConfig[] = []
  const origins: ConfigOrigins = {tools: [], prompts: [], resources: [], resourceTemplates: []}
  for (const d of byName) {
    const where = `${d.kind} "${d.metadata.name}"`
    if (d.kind === 'MCPTool') {
      const s = d.spec
      origins.tools.push(d)
      tools.push({
        name: s.name ?? d.metadata.name,
        ...(s.title ? {title: s.title} : {}),
        description: s.description,
        inputSchema: s.inputSchema,
        ...(s.outputSchema ? {outputSchema: s.outputSchema} : {}),
        ...(s.annotations ? {annotations: s.annotations as ToolConfig['annotations']} : {}),
        http: http(s.http, where),
        ...(s.response ? {response: s.response} : {}),
      })
    } else if (d.kind === 'MCPPrompt') {
      const s = d.spec
      origins.prompts.push(d)
      prompts.push({name: s.name ?? d.metadata.name, ...(s.title ? {title: s.title} : {}), ...(s.description ? {description: s.description} : {}), ...(s.arguments ? {arguments: s.arguments} : {}), messages: s.messages})
    } else {
      const s = d.spec
      const common = {
        name: s.name ?? d.metadata.name,
        ...(s.title ? {title: s.title} : {}),
        ...(s.description ? {description: s.description} : {}),
        ...(s.mimeType ? {mimeType: s.mimeType} : {}),
        ...(s.text !== undefined ? {text: s.text} : {}),
        ...(s.http ? {http: http(s.http, where)} : {}),
        ...(s.response ? {response: s.response} : {}),
      }
      origins[s.uriTemplate ? 'resourceTemplates' : 'resources'].push(d)
      if (s.uriTemplate) resourceTemplates.push({uriTemplate: s.uriTemplate, ...common} as ResourceTemplateConfig)
      else resources.push({uri: s.uri!, ...common, ...(s.blob !== undefined ? {blob: s.blob} : {})} as ResourceConfig)
    }
  }
  const config: GatewayConfig = {
    formatVersion: 1,
    ...(opts.server && Object.keys(opts.server).length > 0 ? {server: opts.server} : {}),
    ...(tools.length ? {tools} : {}),
    ...(prompts.length ? {prompts} : {}),
    ...(resources.length ? {resources} : {}),
    ...(resourceTemplates.length ? {resourceTemplates} : {}),
    ...(opts.upstreams?.length ? {upstreams: opts.upstreams} : {}),
  }
  return {config, env, origins}
}

/** The document each entry of a configuration list came from, index for index. */
export interface ConfigOrigins {
  tools: CatalogDoc[]
  prompts: CatalogDoc[]
  resources: CatalogDoc[]
  resourceTemplates: CatalogDoc[]
}

/** A document's MCP name (what clients see), for messages and listings. */
export function catalogName(d: CatalogDoc): string {
  if (d.kind === 'MCPResource') return d.spec.uri ?? d.spec.uriTemplate!
  return d.spec.name ?? d.metadata.name
}

