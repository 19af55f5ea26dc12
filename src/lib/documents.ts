import {parseAllDocuments} from 'yaml'
import {z} from 'zod'

import {invalid} from './errors.js'
import type {Registry, Runtime} from './registry.js'
import {valueAtPath} from './schema-issues.js'
import {didYouMeanText} from './suggest.js'

import {API_VERSION, KINDS, type Kind, MAX_NAME_LENGTH, TOPIC_OF} from './kinds.js'

export {API_VERSION, KINDS, type Kind, MAX_NAME_LENGTH, TOPIC_OF}

const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

const name = z
  .string()
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters (it is prefixed to make Kubernetes names)`)
  .regex(dns1123, 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit')

const envVarName = z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'is not a valid environment variable name')

const keyRef = z.strictObject({name: z.string().min(1), key: z.string().min(1), optional: z.boolean().optional()})

export const EnvVarSchema = z.union([
  z.strictObject({name: envVarName, value: z.string()}),
  z.strictObject({
    name: envVarName,
    valueFrom: z.union([
      z.strictObject({secretKeyRef: keyRef}),
      z.strictObject({configMapKeyRef: keyRef}),
      z.strictObject({fieldRef: z.strictObject({fieldPath: z.string(), apiVersion: z.string().optional()})}),
      z.strictObject({
        resourceFieldRef: z.strictObject({resource: z.string(), containerName: z.string().optional(), divisor: z.union([z.string(), z.number()]).optional()}),
      }),
    ]),
  }),
])
export type EnvVar = z.output<typeof EnvVarSchema>

const EnvFromSchema = z.strictObject({
  prefix: z.string().optional(),
  secretRef: z.strictObject({name: z.string().min(1), optional: z.boolean().optional()}).optional(),
  configMapRef: z.strictObject({name: z.string().min(1), optional: z.boolean().optional()}).optional(),
})

const quantity = z.union([z.string(), z.number()])
const ResourcesSchema = z.strictObject({
  limits: z.record(z.string(), quantity).optional(),
  requests: z.record(z.string(), quantity).optional(),
})

export const ContainerSchema = z.strictObject({
  image: z.string().min(1).optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(EnvVarSchema).optional(),
  envFrom: z.array(EnvFromSchema).optional(),
  resources: ResourcesSchema.optional(),
})
export type ContainerOverride = z.output<typeof ContainerSchema>

const MetadataSchema = z.strictObject({
  name,
  namespace: z.string().regex(dns1123, 'must be a DNS-1123 label').optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
})

// podSpec is a partial Kubernetes PodSpec merged by name; its fields are checked by the
// Kubernetes schema (strict field validation on the server, OpenAPI schemas in tests).
const PodSpecSchema = z.record(z.string(), z.unknown())

const common = {
  container: ContainerSchema.optional(),
  podSpec: PodSpecSchema.optional(),
  replicas: z.number().int().min(0).optional(),
  serviceAccountName: z.string().regex(dns1123, 'must be a DNS-1123 name').optional(),
}

export const MCPServerSpecSchema = z.strictObject({
  runtime: z.string().min(1),
  params: z.string().optional(),
  ...common,
})

export const AgentSpecSchema = z.strictObject({
  modelAPI: name,
  model: z.string().min(1),
  mcpServers: z.array(name).default([]),
  agentNetwork: z.strictObject({access: z.array(name).default([])}).optional(),
  config: z
    .strictObject({
      description: z.string().optional(),
      instructions: z.string().optional(),
      reasoningLoopMaxSteps: z.number().int().min(1).optional(),
    })
    .optional(),
  ...common,
})

const ValueOrRef = z.union([
  z.strictObject({value: z.string().min(1)}),
  z.strictObject({valueFrom: z.union([z.strictObject({secretKeyRef: keyRef}), z.strictObject({configMapKeyRef: keyRef})])}),
])

export const ModelAPISpecSchema = z.strictObject({
  mode: z.enum(['Proxy', 'Hosted']),
  proxyConfig: z
    .strictObject({
      models: z.array(z.string().min(1)).min(1, 'needs at least one model'),
      provider: z.string().min(1).optional(),
      apiBase: z.string().url().optional(),
      apiKey: ValueOrRef.optional(),
      /** Extra LiteLLM `litellm_params` for every model (e.g. `mock_response`, `timeout`). */
      litellmParams: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  hostedConfig: z.strictObject({model: z.string().min(1)}).optional(),
  ...common,
})

export type MCPServerSpec = z.output<typeof MCPServerSpecSchema>
export type AgentSpec = z.output<typeof AgentSpecSchema>
export type ModelAPISpec = z.output<typeof ModelAPISpecSchema>
export type Metadata = z.output<typeof MetadataSchema>

export interface MCPServerDoc {apiVersion: typeof API_VERSION; kind: 'MCPServer'; metadata: Metadata; spec: MCPServerSpec}
export interface AgentDoc {apiVersion: typeof API_VERSION; kind: 'Agent'; metadata: Metadata; spec: AgentSpec}
export interface ModelAPIDoc {apiVersion: typeof API_VERSION; kind: 'ModelAPI'; metadata: Metadata; spec: ModelAPISpec}
export type KaosDoc = MCPServerDoc | AgentDoc | ModelAPIDoc

const specSchemas = {MCPServer: MCPServerSpecSchema, Agent: AgentSpecSchema, ModelAPI: ModelAPISpecSchema} as const


function issueText(issue: z.core.$ZodIssue, prefix: string, input?: unknown): string {
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.')
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${path ? path + '.' : ''}${k}"`).join(', ')}`
  }
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && valueAtPath(input, issue.path) === undefined) return `field "${path}" is required`
  if (issue.code === 'invalid_union') {
    // Unions here are alternatives of strict objects; the most useful message is the closest branch's.
    const branches = issue.errors.map((errs) => errs[0]).filter(Boolean)
    const best = branches.find((b) => b.code !== 'unrecognized_keys') ?? branches[0]
    if (best) return issueText({...best, path: [...issue.path, ...best.path]} as z.core.$ZodIssue, prefix, input)
  }
  return `field "${path}" ${issue.message.replace(/^Invalid input: /, '')}`
}

/**
 * Validate one parsed document's shape. `where` names the source (file and document index) and
 * prefixes every error, e.g. `mcp.yaml (document 2): MCPServer "x": unknown field "spec.foo"`.
 */
export function parseDocument(raw: unknown, where: string): KaosDoc {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`${where}: expected a mapping with apiVersion, kind, metadata and spec`)
  const obj = raw as Record<string, unknown>
  if (obj.apiVersion !== API_VERSION)
    throw invalid(`${where}: apiVersion must be "${API_VERSION}" (got ${JSON.stringify(obj.apiVersion ?? null)})`, [`Set apiVersion: ${API_VERSION}`])
  const kind = obj.kind as string
  if (!KINDS.includes(kind as Kind)) throw invalid(`${where}: unknown kind ${JSON.stringify(kind ?? null)}; expected one of ${KINDS.join(', ')}.${didYouMeanText(String(kind), KINDS)}`)
  const extra = Object.keys(obj).filter((k) => !['apiVersion', 'kind', 'metadata', 'spec'].includes(k))
  if (extra.length > 0) throw invalid(`${where}: unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}`)
  const meta = MetadataSchema.safeParse(obj.metadata ?? {})
  if (!meta.success) throw invalid(`${where}: ${kind}: ${issueText(meta.error.issues[0], 'metadata', obj.metadata ?? {})}`)
  const label = `${where}: ${kind} "${meta.data.name}"`
  const spec = specSchemas[kind as Kind].safeParse(obj.spec ?? {})
  if (!spec.success) throw invalid(`${label}: ${issueText(spec.error.issues[0], 'spec', obj.spec ?? {})}`)
  return {apiVersion: API_VERSION, kind, metadata: meta.data, spec: spec.data} as KaosDoc
}

/** Parse multi-document YAML text into kaos documents. Empty documents are skipped. */
export function parseDocuments(text: string, source: string): KaosDoc[] {
  const docs = parseAllDocuments(text, {prettyErrors: true})
  const out: KaosDoc[] = []
  const list = Array.isArray(docs) ? docs : [docs]
  list.forEach((d, i) => {
    const where = list.length > 1 ? `${source} (document ${i + 1})` : source
    if (d.errors.length > 0) {
      const e = d.errors[0]
      const line = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : ''
      throw invalid(`${where}: invalid YAML${line}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`)
    }
    const value = d.toJS()
    if (value === null || value === undefined) return
    out.push(parseDocument(value, where))
  })
  if (out.length === 0) throw invalid(`${source}: no documents found`, [`Write an ${API_VERSION} MCPServer, Agent or ModelAPI document.`])
  return out
}

/** The runtime an MCPServer uses, or an invalid-input error with a did-you-mean. */
export function resolveRuntime(doc: MCPServerDoc, registry: Registry, where = ''): Runtime {
  const rt = registry.runtimes.get(doc.spec.runtime)
  if (!rt) {
    const names = [...registry.runtimes.keys()]
    throw invalid(
      `${where}MCPServer "${doc.metadata.name}": unknown runtime "${doc.spec.runtime}".${didYouMeanText(doc.spec.runtime, names)} Known runtimes: ${names.join(', ')}`,
      ['Run `kaos system runtimes` to list them, or add one with --registry FILE.'],
    )
  }
  return rt
}

/**
 * Checks that need the registry and the whole document, after the shape is known to be right.
 * Throws the first problem as an invalid-input error.
 */
export function validateAgainstRegistry(doc: KaosDoc, registry: Registry, where = ''): void {
  const label = `${where}${doc.kind} "${doc.metadata.name}"`
  if (doc.kind === 'MCPServer') {
    const rt = resolveRuntime(doc, registry, where)
    if (rt.imageFrom === 'container' && !doc.spec.container?.image)
      throw invalid(`${label}: runtime "${rt.name}" needs spec.container.image`, ['Pass --image IMAGE, or build one with `kaos mcp build`.'])
    if (doc.spec.params !== undefined && !rt.paramsEnvVar)
      throw invalid(`${label}: runtime "${rt.name}" takes no params (it declares no paramsEnvVar)`, ['Remove spec.params, or use a runtime that takes params such as rawpython.'])
    // stdio servers run behind kaos's adapter: built into the image (package runtimes), or put
    // next to an unchanged image by an init container, which needs the image's own command.
    if (rt.transport === 'stdio' && !rt.package && !(rt.command?.length || doc.spec.container?.command?.length))
      throw invalid(`${label}: runtime "${rt.name}" speaks MCP over stdio and kaos cannot tell how to start it behind its adapter`, [
        'Give the registry entry `package: npx://PACKAGE@VERSION` (or uvx://…), or the command that starts the server in its image (`command:`).',
      ])
    const env = new Set((doc.spec.container?.env ?? []).map((e) => e.name))
    const hasEnvFrom = (doc.spec.container?.envFrom ?? []).length > 0
    const missing = rt.requiredEnv.filter((n) => !env.has(n))
    // With envFrom the keys live in a Secret/ConfigMap only the cluster can check (deploy does).
    if (missing.length > 0 && !hasEnvFrom)
      throw invalid(`${label}: runtime "${rt.name}" requires env ${missing.join(', ')} (set in spec.container.env, as a value or valueFrom)`, [
        `Pass ${missing.map((m) => `--env ${m}=...`).join(' ')} or --env-from-secret SECRET.`,
      ])
  }
  if (doc.kind === 'ModelAPI') {
    if (doc.spec.mode === 'Proxy' && !doc.spec.proxyConfig) throw invalid(`${label}: mode Proxy needs spec.proxyConfig.models`)
    if (doc.spec.mode === 'Hosted' && !doc.spec.hostedConfig) throw invalid(`${label}: mode Hosted needs spec.hostedConfig.model`)
    if (doc.spec.mode === 'Proxy' && doc.spec.hostedConfig) throw invalid(`${label}: spec.hostedConfig is only for mode Hosted`)
    if (doc.spec.mode === 'Hosted' && doc.spec.proxyConfig) throw invalid(`${label}: spec.proxyConfig is only for mode Proxy`)
  }
  if (doc.kind === 'Agent') {
    const self = (doc.spec.agentNetwork?.access ?? []).includes(doc.metadata.name)
    if (self) throw invalid(`${label}: spec.agentNetwork.access lists the agent itself`)
  }
}

/** Parse `K=V` pairs from repeated flags; `what` names the flag in errors. */
export function parseKeyValues(pairs: string[], what: string): Array<[string, string]> {
  return pairs.map((p) => {
    const i = p.indexOf('=')
    if (i <= 0) throw invalid(`${what} "${p}" is not KEY=VALUE`, [`Write it as ${what} NAME=value.`])
    const key = p.slice(0, i)
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) throw invalid(`${what} "${p}": "${key}" is not a valid name`)
    return [key, p.slice(i + 1)] as [string, string]
  })
}
