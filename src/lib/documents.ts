import {parseAllDocuments} from 'yaml'
import {z} from 'zod'

import {EgressSchema} from './egress.js'
import {invalid} from './errors.js'
import {DNS1123_LABEL, DNS_LABEL_TEXT, DNS_SUBDOMAIN_TEXT, INT32_MAX, QUANTITY_TEXT, imageProblem, isConfigKey, isDnsLabel, isDnsSubdomain, isLabelValue, isQualifiedName, isQuantity} from './k8s-values.js'
import type {Registry, Runtime} from './registry.js'
import {runtimeAuth, sessionsOf} from './serving.js'
import {firstIssue, issueText} from './schema-issues.js'
import {didYouMean, didYouMeanText} from './suggest.js'

import {CATALOG_KINDS, CATALOG_SPEC_SCHEMAS, type CatalogDoc, LabelSelectorSchema, isCatalogKind} from './catalog.js'
import {API_VERSION, KINDS, type Kind, MAX_NAME_LENGTH, TOPIC_OF} from './kinds.js'
import {PLAIN_RBAC_KINDS, RUNTIME_ALIASES, SERVER_METADATA, UPSTREAM_ONLY_KINDS, UPSTREAM_ONLY_RUNTIMES, legacyProblem} from './upstream.js'

export {API_VERSION, KINDS, type Kind, MAX_NAME_LENGTH, TOPIC_OF}

const name = z
  .string()
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters (it is prefixed to make Kubernetes names)`)
  .regex(DNS1123_LABEL, 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit')

/** Names of Secrets, ConfigMaps and ServiceAccounts. */
const objectRefName = z.string().refine(isDnsSubdomain, DNS_SUBDOMAIN_TEXT)

const envVarName = z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'is not a valid environment variable name (letters, digits, "_", "-", "."; not starting with a digit)')

const keyRef = z.strictObject({
  name: objectRefName,
  key: z.string().refine(isConfigKey, 'must be a Secret or ConfigMap key: letters, digits, "-", "_" and "."'),
  optional: z.boolean().optional(),
})

/** An image reference a container runtime can pull. */
export const imageRef = z.string().superRefine((v, ctx) => {
  const problem = imageProblem(v)
  if (problem) ctx.addIssue({code: 'custom', message: problem})
})

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
  secretRef: z.strictObject({name: objectRefName, optional: z.boolean().optional()}).optional(),
  configMapRef: z.strictObject({name: objectRefName, optional: z.boolean().optional()}).optional(),
})

const quantity = z.union([z.string(), z.number()]).refine(isQuantity, QUANTITY_TEXT)
const resourceName = z.string().refine(isQualifiedName, 'is not a resource name (e.g. cpu, memory, nvidia.com/gpu)')
const ResourcesSchema = z.strictObject({
  limits: z.record(resourceName, quantity).optional(),
  requests: z.record(resourceName, quantity).optional(),
})

/**
 * `container.ports`: upstream KAOS's CLI writes `[{containerPort: 8000, name: http}]` for custom
 * images. kaos serves on the runtime's port; a different one is a warning (see upstream.ts).
 */
const ContainerPortSchema = z.strictObject({
  containerPort: z.number().int().min(1).max(65535),
  name: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
})

export const ContainerSchema = z.strictObject({
  image: imageRef.optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(EnvVarSchema).optional(),
  envFrom: z.array(EnvFromSchema).optional(),
  resources: ResourcesSchema.optional(),
  ports: z.array(ContainerPortSchema).optional(),
})
export type ContainerOverride = z.output<typeof ContainerSchema>

const labelValue = z.string().refine(isLabelValue, 'is not a valid label value (at most 63 letters, digits, "-", "_", "."; starting and ending with a letter or digit)')
const qualifiedKey = z.string().refine(isQualifiedName, 'is not a valid key ([prefix/]name, the name at most 63 letters, digits, "-", "_", ".")')

const MetadataSchema = z.strictObject({
  name,
  namespace: z.string().refine(isDnsLabel, DNS_LABEL_TEXT).optional(),
  labels: z.record(qualifiedKey, labelValue).optional(),
  annotations: z.record(qualifiedKey, z.string()).optional(),
})

// podSpec is a partial Kubernetes PodSpec merged by name; the rendered result is checked against
// the Kubernetes OpenAPI schema (k8s-schema.ts) before it is printed, written or applied.
const PodSpecSchema = z.record(z.string(), z.unknown())

const common = {
  container: ContainerSchema.optional(),
  podSpec: PodSpecSchema.optional(),
  replicas: z.number().int().min(0).max(INT32_MAX).optional(),
  serviceAccountName: objectRefName.optional(),
  /** Render a NetworkPolicy (default: the registry's defaults.networkPolicy, else false). */
  networkPolicy: z.boolean().optional(),
}

/** A host name an Ingress or HTTPRoute routes: a DNS name, or a wildcard as the first label. */
const exposeHost = z
  .string()
  .refine((h) => /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(h) && h.length <= 253, 'must be a DNS name with a dot, such as mcp.example.com (lowercase; *.example.com for a wildcard)')

/** A way in from outside the cluster (`--expose`). */
export const ExposeSchema = z.strictObject({
  type: z.enum(['ingress', 'httproute']),
  host: exposeHost,
  /** Ingress: the Secret with the TLS certificate for `host`. */
  tlsSecret: objectRefName.optional(),
  /** Ingress: spec.ingressClassName (default: the cluster's default class). */
  ingressClassName: objectRefName.optional(),
  /** HTTPRoute: the Gateway it attaches to (namespace: the workload's when left out). */
  gateway: z.strictObject({name: objectRefName, namespace: z.string().refine(isDnsLabel, DNS_LABEL_TEXT).optional()}).optional(),
  /** `bearer`: callers need the token of `kaos mcp token NAME`; `none`: anyone who reaches the host. */
  auth: z.enum(['bearer', 'none']).default('bearer'),
})
export type Expose = z.output<typeof ExposeSchema>
// Fields of upstream KAOS's types (operator/api/v1alpha1/*_types.go) that every kind shares.
// What kaos does with each is in upstream.ts and the README's "Coming from upstream KAOS".
/** OpenTelemetry: rendered as the OTEL_* env the upstream operator sets. */
const TelemetrySchema = z.strictObject({enabled: z.boolean().optional(), endpoint: z.string().min(1).optional()})
/** An HTTPRoute timeout for upstream's Gateway API wiring (ignored by kaos, with a warning). */
const GatewayRouteSchema = z.strictObject({
  timeout: z.string().regex(/^([0-9]+(h|m|s|ms)){1,4}$/, 'must be a duration such as 120s, 2m or 1m30s').optional(),
})
/** Upstream's stable identity (`kaos://<kind>/<id>`) for its authorization plane (ignored, with a warning). */
const SecuritySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, 'must be lowercase letters, digits, ".", "_" and "-", starting and ending with a letter or digit').optional(),
})
const upstreamCommon = {
  telemetry: TelemetrySchema.optional(),
  gatewayRoute: GatewayRouteSchema.optional(),
}
export type Telemetry = z.output<typeof TelemetrySchema>

export const MCPServerSpecSchema = z.strictObject({
  runtime: z.string().min(1),
  params: z.string().optional(),
  /** Overrides the runtime's `sessions` (custom images, rawpython with MCP_STATELESS=0). */
  sessions: z.enum(['stateless', 'sticky']).optional(),
  /** Overrides the runtime's `egress` (rawpython tools that need the network, custom images). */
  egress: EgressSchema.optional(),
  expose: ExposeSchema.optional(),
  /** runtime gateway: the MCPTool, MCPPrompt and MCPResource documents it serves, by label. */
  toolSelector: LabelSelectorSchema.optional(),
  /** runtime gateway: MCPServers whose tools it serves too (prefixed with their name), by label. */
  upstreamSelector: LabelSelectorSchema.optional(),
  /** runtime gateway: what it tells clients in the initialize result. */
  gateway: z.strictObject({name: z.string().min(1).optional(), instructions: z.string().optional()}).optional(),
  ...common,
  ...upstreamCommon,
  security: SecuritySchema.optional(),
})

/** A list of names where a repeat would render twice (e.g. two MCP_SERVER_<n>_URL variables). */
const nameList = z.array(name).superRefine((list, ctx) => {
  const seen = new Set<string>()
  for (const [i, n] of list.entries()) {
    if (seen.has(n)) ctx.addIssue({code: 'custom', path: [i], message: 'is listed twice'})
    seen.add(n)
  }
})

const int = (min: number, max: number) => z.number().int().min(min).max(max)

/**
 * `config.memory` in the spellings upstream KAOS has used: local memory (rendered as MEMORY_*
 * env), and the fields that bind a MemoryStore (upstream's memory service, an operator's;
 * ignored with a warning: the agent keeps local short-term memory).
 */
const MemorySchema = z.strictObject({
  enabled: z.boolean().optional(),
  type: z.enum(['local', 'remote', 'redis']).optional(),
  contextLimit: int(1, 100).optional(),
  maxSessions: int(1, 100_000).optional(),
  maxSessionEvents: int(1, 10_000).optional(),
  memoryStore: name.optional(),
  maxReadScope: z.enum(['session', 'agent', 'user']).optional(),
  scope: z.enum(['private', 'user', 'shared', 'session']).optional(),
  defaultReadScope: z.enum(['agent', 'user', 'group', 'session']).optional(),
  readScopes: z.array(z.enum(['agent', 'user', 'group', 'session'])).optional(),
  tools: z.enum(['all', 'read', 'write']).optional(),
  failureMode: z.enum(['soft', 'strict']).optional(),
  clientParams: z.strictObject({tokenBudget: int(0, INT32_MAX).optional(), rollingSummary: z.boolean().optional()}).optional(),
  redisURL: z.string().optional(),
})
export type AgentMemory = z.output<typeof MemorySchema>

export const AgentSpecSchema = z.strictObject({
  modelAPI: name,
  model: z.string().min(1),
  mcpServers: nameList.default([]),
  agentNetwork: z.strictObject({access: nameList.default([]), expose: z.boolean().optional()}).optional(),
  config: z
    .strictObject({
      description: z.string().optional(),
      instructions: z.string().optional(),
      systemPrompt: z.string().optional(),
      reasoningLoopMaxSteps: z.number().int().min(1).max(INT32_MAX).optional(),
      toolCallMode: z.enum(['auto', 'native', 'string']).optional(),
      memory: MemorySchema.optional(),
      telemetry: TelemetrySchema.optional(),
      autonomous: z
        .strictObject({goal: z.string().optional(), intervalSeconds: int(0, 3600).optional(), maxIterRuntimeSeconds: int(0, 86_400).optional()})
        .optional(),
      taskConfig: z
        .strictObject({maxIterations: int(0, 1000).optional(), maxRuntimeSeconds: int(0, 86_400).optional(), maxToolCalls: int(0, 10_000).optional()})
        .optional(),
    })
    .optional(),
  expose: ExposeSchema.optional(),
  /** Upstream's operator holds the Deployment back until these are Ready; kaos applies in order instead. */
  waitForDependencies: z.boolean().optional(),
  gatewayRoute: GatewayRouteSchema.optional(),
  security: SecuritySchema.optional(),
  ...common,
})

const ValueFrom = z.strictObject({valueFrom: z.union([z.strictObject({secretKeyRef: keyRef}), z.strictObject({configMapKeyRef: keyRef})])})
const ValueOrRef = z.union([z.strictObject({value: z.string().min(1)}), ValueFrom])

/** A LiteLLM param: any value, or `{valueFrom: {secretKeyRef | configMapKeyRef}}` read through the env. */
const litellmParam = z.unknown().superRefine((v, ctx) => {
  if (!v || typeof v !== 'object' || !('valueFrom' in v)) return
  const r = ValueFrom.safeParse(v)
  if (!r.success) for (const i of r.error.issues) ctx.addIssue({...i, input: undefined} as never)
})

export const ModelAPISpecSchema = z.strictObject({
  mode: z.enum(['Proxy', 'Hosted']),
  proxyConfig: z
    .strictObject({
      models: z.array(z.string().min(1)).min(1, 'needs at least one model'),
      provider: z.string().min(1).optional(),
      apiBase: z.string().url().optional(),
      apiKey: ValueOrRef.optional(),
      /**
       * Extra LiteLLM `litellm_params` for every model (e.g. `mock_response`, `timeout`). Literal
       * values of key-like fields (api_key, *_key, *token*, *secret*, password) are moved into
       * the Secret when rendered (see render/modelapi.ts).
       */
      litellmParams: z.record(z.string(), litellmParam).optional(),
      /** Upstream KAOS: a whole LiteLLM config.yaml, inline or from a Secret key (used as is). */
      configYaml: z.union([z.strictObject({fromString: z.string().min(1)}), z.strictObject({fromSecretKeyRef: keyRef})]).optional(),
    })
    .optional(),
  hostedConfig: z.strictObject({model: z.string().min(1)}).optional(),
  ...common,
  ...upstreamCommon,
})

export type MCPServerSpec = z.output<typeof MCPServerSpecSchema>
export type AgentSpec = z.output<typeof AgentSpecSchema>
export type ModelAPISpec = z.output<typeof ModelAPISpecSchema>
export type Metadata = z.output<typeof MetadataSchema>

export interface MCPServerDoc {apiVersion: typeof API_VERSION; kind: 'MCPServer'; metadata: Metadata; spec: MCPServerSpec}
export interface AgentDoc {apiVersion: typeof API_VERSION; kind: 'Agent'; metadata: Metadata; spec: AgentSpec}
export interface ModelAPIDoc {apiVersion: typeof API_VERSION; kind: 'ModelAPI'; metadata: Metadata; spec: ModelAPISpec}
/** A workload: what becomes a Deployment. */
export type KaosDoc = MCPServerDoc | AgentDoc | ModelAPIDoc
/** Any kaos document: a workload, or a declarative MCP part a gateway serves (catalog.ts). */
export type AnyDoc = KaosDoc | CatalogDoc

/** Every document kind kaos reads, workloads first. */
export const DOCUMENT_KINDS = [...KINDS, ...CATALOG_KINDS] as const

/** Whether a document is a workload (not a catalog document). */
export function isWorkloadDoc(d: AnyDoc): d is KaosDoc {
  return !isCatalogKind(d.kind)
}

const specSchemas = {MCPServer: MCPServerSpecSchema, Agent: AgentSpecSchema, ModelAPI: ModelAPISpecSchema, ...CATALOG_SPEC_SCHEMAS} as const


/** Where each parsed document came from (`file.yaml (document 2)`), for messages after parsing. */
const sources = new WeakMap<object, string>()
/** What parsing left out of a document and why (`status`, server metadata), for render's warnings. */
const parseNotes = new WeakMap<object, string[]>()

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/** The warnings parsing recorded for a document (fields it dropped). */
export function documentNotes(doc: AnyDoc): string[] {
  return parseNotes.get(doc) ?? []
}

/** `mcp.yaml (document 2): MCPServer "calc"`, or `MCPServer "calc"` for documents built from flags. */
export function docLabel(doc: AnyDoc): string {
  const where = sources.get(doc)
  return `${where ? `${where}: ` : ''}${doc.kind} "${doc.metadata.name}"`
}

/**
 * Validate one parsed document's shape. `where` names the source (file and document index) and
 * prefixes every error, e.g. `mcp.yaml (document 2): MCPServer "x": unknown field spec.foo`.
 * An unknown field is reported first: it is usually a typo that also explains a missing field.
 */
export function parseDocument(raw: unknown, where: string, opts: {record?: boolean} = {}): AnyDoc {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`${where}: expected a mapping with apiVersion, kind, metadata and spec`)
  const obj = raw as Record<string, unknown>
  if (obj.apiVersion !== API_VERSION)
    throw invalid(`${where}: apiVersion must be "${API_VERSION}" (got ${JSON.stringify(obj.apiVersion ?? null)})`, [`Set apiVersion: ${API_VERSION}`])
  const kind = obj.kind as string
  if (!(DOCUMENT_KINDS as readonly string[]).includes(kind))
    throw invalid(`${where}: unknown kind ${JSON.stringify(kind ?? null)}; expected one of ${DOCUMENT_KINDS.join(', ')}.${didYouMeanText(String(kind), DOCUMENT_KINDS)}`)
  // `status` is what upstream's operator wrote (a document saved with `kubectl get -o yaml`).
  const extra = Object.keys(obj).filter((k) => !['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(k))
  if (extra.length > 0) {
    const guess = extra.length === 1 ? didYouMean(extra[0], ['apiVersion', 'kind', 'metadata', 'spec']) : undefined
    throw invalid(`${where}: unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')}${guess ? `; did you mean ${guess}?` : ''}`)
  }
  const rawMeta = (obj.metadata ?? {}) as Record<string, unknown>
  const dropped = rawMeta && typeof rawMeta === 'object' ? SERVER_METADATA.filter((k) => k in rawMeta) : []
  let metaIn = dropped.length > 0 ? Object.fromEntries(Object.entries(rawMeta).filter(([k]) => !(dropped as readonly string[]).includes(k))) : rawMeta
  // kubectl's copy of the object it last applied (a `kubectl get -o yaml` export): not the user's
  // annotation, and a second copy of the document on every object kaos renders.
  const annotations = metaIn?.annotations as Record<string, unknown> | undefined
  const lastApplied = annotations && typeof annotations === 'object' && LAST_APPLIED in annotations
  if (lastApplied) {
    const {[LAST_APPLIED]: _copy, ...rest} = annotations
    metaIn = {...metaIn, annotations: rest}
  }
  const specIn = obj.spec ?? {}
  const specSchema = specSchemas[kind as keyof typeof specSchemas]
  const meta = MetadataSchema.safeParse(metaIn)
  const label = meta.success ? `${where}: ${kind} "${meta.data.name}"` : `${where}: ${kind}`
  const legacy = legacyProblem(kind, specIn)
  if (legacy) throw invalid(`${label}: ${legacy}`, ['See "Coming from upstream KAOS" in the README for every field and how kaos reads it.'])
  const spec = specSchema.safeParse(specIn)
  const metaIssues = meta.success ? [] : meta.error.issues
  const specIssues = spec.success ? [] : spec.error.issues
  const unknownSpec = specIssues.find((i) => i.code === 'unrecognized_keys')
  if (metaIssues.length > 0 && !unknownSpec) throw invalid(`${label}: ${issueText(firstIssue(metaIssues), 'metadata', metaIn, MetadataSchema)}`)
  if (specIssues.length > 0) throw invalid(`${label}: ${issueText(firstIssue(specIssues), 'spec', specIn, specSchema)}`)
  const doc = {apiVersion: API_VERSION, kind, metadata: meta.data, spec: spec.data} as AnyDoc
  if (opts.record) sources.set(doc, where)
  const name = `${kind} "${meta.data!.name}"`
  const notes = [
    ...('status' in obj ? [`${name}: status ignored: it is state the cluster observed, not configuration; kaos reads live state (kaos agent status, kaos system status)`] : []),
    ...(dropped.length > 0 ? [`${name}: metadata.${dropped.join(', metadata.')} ignored: written by the API server (or an operator) for the object it came from`] : []),
    ...(lastApplied ? [`${name}: the ${LAST_APPLIED} annotation ignored: kubectl's copy of the object it came from`] : []),
  ]
  if (notes.length > 0) parseNotes.set(doc, notes)
  return doc
}

/** One document of a multi-document YAML text: its value and where it came from, for messages. */
export interface RawDocument {
  value: unknown
  /** `file.yaml`, or `file.yaml (document 2)` when the text has several documents. */
  where: string
}

/** The documents of a YAML text, parsed but not yet checked; empty documents are skipped. */
export function parseYamlDocuments(text: string, source: string): RawDocument[] {
  const docs = parseAllDocuments(text, {prettyErrors: true})
  const out: RawDocument[] = []
  const list = Array.isArray(docs) ? docs : [docs]
  list.forEach((d, i) => {
    const where = list.length > 1 ? `${source} (document ${i + 1})` : source
    if (d.errors.length > 0) {
      const e = d.errors[0]
      const line = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : ''
      throw invalid(`${where}: invalid YAML${line}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`)
    }
    let value: unknown
    try {
      value = d.toJS()
    } catch (error) {
      // yaml refuses documents whose aliases expand without bound (a "billion laughs" bomb).
      throw invalid(`${where}: invalid YAML: ${(error as Error).message.split('\n')[0]}`, ['Write the values out instead of repeating aliases.'])
    }
    if (value === null || value === undefined) return
    out.push({value, where})
  })
  return out
}

/**
 * A plain Kubernetes document that sits next to kaos documents (upstream KAOS samples start with
 * a `v1 Namespace`). Only Namespaces are taken: see `parseManifests`.
 */
export interface NamespaceDoc {
  apiVersion: 'v1'
  kind: 'Namespace'
  metadata: {name: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown}
  [k: string]: unknown
}

const NamespaceMetadataSchema = z.strictObject({
  name: z.string().refine(isDnsLabel, DNS_LABEL_TEXT),
  labels: z.record(qualifiedKey, labelValue).optional(),
  annotations: z.record(qualifiedKey, z.string()).optional(),
})

/**
 * A plain ServiceAccount, Role or RoleBinding given with kaos documents (upstream KAOS samples
 * carry the identity an MCPServer's `serviceAccountName` names). Applied as written; the API
 * server's dry run checks the rest of it.
 */
export interface RbacDoc {
  apiVersion: string
  kind: (typeof PLAIN_RBAC_KINDS)[number]
  metadata: {name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>}
  [k: string]: unknown
}

/** Kaos documents and the plain objects given with them, in input order. */
export interface Manifests {
  docs: AnyDoc[]
  namespaces: NamespaceDoc[]
  /** ServiceAccounts, Roles and RoleBindings, applied before the documents. */
  rbac: RbacDoc[]
  /** Documents skipped, each with the reason (upstream KAOS kinds that only its operator acts on). */
  warnings: string[]
}

const RBAC_API: Record<RbacDoc['kind'], {apiVersion: string; fields: string[]}> = {
  ServiceAccount: {apiVersion: 'v1', fields: ['automountServiceAccountToken', 'imagePullSecrets', 'secrets']},
  Role: {apiVersion: 'rbac.authorization.k8s.io/v1', fields: ['rules']},
  RoleBinding: {apiVersion: 'rbac.authorization.k8s.io/v1', fields: ['roleRef', 'subjects']},
}

const RbacMetadataSchema = z.strictObject({
  name: objectRefName,
  namespace: z.string().refine(isDnsLabel, DNS_LABEL_TEXT).optional(),
  labels: z.record(qualifiedKey, labelValue).optional(),
  annotations: z.record(qualifiedKey, z.string()).optional(),
})

/** A ServiceAccount, Role or RoleBinding: its metadata checked here, its body by the API server's dry run. */
function parseRbac(obj: Record<string, unknown>, where: string): RbacDoc {
  const kind = obj.kind as RbacDoc['kind']
  const api = RBAC_API[kind]
  const name = (obj.metadata as {name?: unknown} | undefined)?.name
  const label = `${where}: ${kind}${typeof name === 'string' ? ` "${name}"` : ''}`
  if (obj.apiVersion !== api.apiVersion) throw invalid(`${label}: apiVersion must be "${api.apiVersion}" (got ${JSON.stringify(obj.apiVersion)})`)
  const extra = Object.keys(obj).filter((k) => !['apiVersion', 'kind', 'metadata', ...api.fields].includes(k))
  if (extra.length > 0) throw invalid(`${label}: unknown or unsupported field ${extra[0]} (known: ${api.fields.join(', ')})`)
  const meta = RbacMetadataSchema.safeParse(obj.metadata ?? {})
  if (!meta.success) throw invalid(`${label}: ${issueText(firstIssue(meta.error.issues), 'metadata', obj.metadata ?? {}, RbacMetadataSchema)}`)
  return {...obj, apiVersion: api.apiVersion, kind, metadata: meta.data}
}

/** `apiVersion: v1, kind: Namespace`: name, labels and annotations only (spec and status are the server's). */
function parseNamespace(obj: Record<string, unknown>, where: string): NamespaceDoc {
  const extra = Object.keys(obj).filter((k) => !['apiVersion', 'kind', 'metadata'].includes(k))
  if (extra.length > 0) throw invalid(`${where}: Namespace: unknown or unsupported field ${extra[0]} (kaos applies a Namespace's metadata only)`, ['Leave out spec and status, or apply the Namespace with `kubectl apply -f`.'])
  const meta = NamespaceMetadataSchema.safeParse(obj.metadata ?? {})
  if (!meta.success) throw invalid(`${where}: Namespace: ${issueText(firstIssue(meta.error.issues), 'metadata', obj.metadata ?? {}, NamespaceMetadataSchema)}`)
  return {apiVersion: 'v1', kind: 'Namespace', metadata: meta.data}
}

/**
 * Kaos documents plus the plain `v1 Namespace` documents that upstream KAOS files carry with them
 * (applied first, so the documents in them have somewhere to go). Any other Kubernetes kind is
 * refused with the command that applies it: kaos owns what it renders, kubectl owns the rest.
 */
export function parseManifests(text: string, source: string): Manifests {
  return manifestsOf(parseYamlDocuments(text, source), source)
}

/** `parseManifests` for documents already read (and perhaps changed, as `kaos samples --set` does). */
export function manifestsOf(raw: RawDocument[], source: string): Manifests {
  const out: Manifests = {docs: [], namespaces: [], rbac: [], warnings: []}
  for (const {value, where} of raw) {
    const obj = value as Record<string, unknown>
    const skip = upstreamOnlyKind(obj)
    if (skip) {
      out.warnings.push(`${where}: ${skip}`)
      continue
    }
    // A kaos kind under a wrong apiVersion gets parseDocument's message about the apiVersion.
    const plain =
      obj && typeof obj === 'object' && !Array.isArray(obj) && typeof obj.apiVersion === 'string' && !obj.apiVersion.startsWith('kaos.tools/') && !(DOCUMENT_KINDS as readonly string[]).includes(obj.kind as string)
    if (plain && obj.apiVersion === 'v1' && obj.kind === 'Namespace') out.namespaces.push(parseNamespace(obj, where))
    else if (plain && (PLAIN_RBAC_KINDS as readonly string[]).includes(obj.kind as string)) out.rbac.push(parseRbac(obj, where))
    else if (plain && typeof obj.kind === 'string') {
      const name = (obj.metadata as {name?: unknown} | undefined)?.name
      throw invalid(
        `${where}: ${obj.apiVersion} ${obj.kind}${typeof name === 'string' ? ` "${name}"` : ''} is not a kaos document: kaos applies ${DOCUMENT_KINDS.join(', ')} documents, plain Namespaces, ServiceAccounts, Roles and RoleBindings`,
        [`Apply it with \`kubectl apply -f ${source === '<stdin>' ? '-' : source}\`, and keep it in a file of its own.`],
      )
    } else out.docs.push(parseDocument(value, where, {record: true}))
  }
  if (out.docs.length === 0 && out.namespaces.length === 0 && out.rbac.length === 0) {
    if (out.warnings.length > 0) throw invalid(`${source}: nothing kaos can apply: ${out.warnings.join('; ')}`)
    throw invalid(`${source}: no documents found`, [`Write a ${API_VERSION} MCPServer, Agent or ModelAPI document.`])
  }
  return out
}

/** Why kaos skips a document of upstream KAOS's API group that only its operator acts on, if it is one. */
function upstreamOnlyKind(obj: Record<string, unknown>): string | undefined {
  if (!obj || typeof obj !== 'object' || typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('kaos.tools/')) return undefined
  const reason = UPSTREAM_ONLY_KINDS[obj.kind as string]
  if (!reason) return undefined
  const name = (obj.metadata as {name?: unknown} | undefined)?.name
  return `${obj.kind}${typeof name === 'string' ? ` "${name}"` : ''} skipped: it ${reason}`
}

/** Parse multi-document YAML text into kaos documents. Empty documents are skipped. */
export function parseDocuments(text: string, source: string): AnyDoc[] {
  const out = parseYamlDocuments(text, source).map(({value, where}) => {
    const obj = value as Record<string, unknown>
    // A plain Namespace next to kaos documents is what `kaos apply` takes; say so.
    if (obj && typeof obj === 'object' && obj.apiVersion === 'v1' && obj.kind === 'Namespace')
      throw invalid(`${where}: a v1 Namespace document: \`kaos <kind> deploy\` takes only kaos documents`, ['Use `kaos apply -f`, which applies plain Namespaces first and then every kaos kind in dependency order.'])
    const skip = upstreamOnlyKind(obj)
    if (skip) throw invalid(`${where}: ${skip.replace(' skipped: it ', ': it ')}`, ['Use `kaos apply -f`, which skips such documents with a warning and applies the rest.'])
    return parseDocument(value, where, {record: true})
  })
  if (out.length === 0) throw invalid(`${source}: no documents found`, [`Write a ${API_VERSION} MCPServer, Agent or ModelAPI document.`])
  return out
}

/** The runtime an MCPServer uses, or an invalid-input error with a did-you-mean. */
export function resolveRuntime(doc: MCPServerDoc, registry: Registry): Runtime {
  // A registry entry of the upstream name (a team's own) wins over kaos's alias for it.
  const alias = RUNTIME_ALIASES[doc.spec.runtime]
  const rt = registry.runtimes.get(doc.spec.runtime) ?? (alias ? registry.runtimes.get(alias) : undefined)
  if (!rt && UPSTREAM_ONLY_RUNTIMES[doc.spec.runtime])
    throw invalid(`${docLabel(doc)}: spec.runtime "${doc.spec.runtime}" is ${UPSTREAM_ONLY_RUNTIMES[doc.spec.runtime]}, which kaos does not ship`, [
      'Add a registry entry of that name with its image (--registry FILE, or `kaos system install --registry FILE`), or use runtime python-string for plain Python tools.',
    ])
  if (!rt) {
    const names = [...registry.runtimes.keys()]
    throw invalid(
      `${docLabel(doc)}: spec.runtime "${doc.spec.runtime}" is an unknown runtime.${didYouMeanText(doc.spec.runtime, names)} Known runtimes: ${names.join(', ')}`,
      ['Run `kaos system runtimes` to list them, or add one with --registry FILE.'],
    )
  }
  return rt
}

/**
 * Checks that need the registry and the whole document, after the shape is known to be right.
 * Throws the first problem as an invalid-input error.
 */
export function validateAgainstRegistry(doc: AnyDoc, registry: Registry): void {
  if (!isWorkloadDoc(doc)) return
  const label = docLabel(doc)
  if (doc.kind === 'MCPServer') {
    const rt = resolveRuntime(doc, registry)
    const gatewayField = (['toolSelector', 'upstreamSelector', 'gateway'] as const).find((f) => doc.spec[f] !== undefined)
    if (gatewayField && !rt.gateway)
      throw invalid(`${label}: spec.${gatewayField} is only for a gateway runtime; runtime "${rt.name}" is not one`, ['Use runtime: gateway, or remove the field.'])
    if (rt.gateway && !doc.spec.toolSelector && !doc.spec.upstreamSelector)
      throw invalid(`${label}: runtime "${rt.name}" serves what spec.toolSelector and spec.upstreamSelector select, and neither is set`, [
        'Add spec.toolSelector: {matchLabels: {…}} to pick MCPTool, MCPPrompt and MCPResource documents by label (an empty {} picks all in the namespace).',
      ])
    if (rt.imageFrom === 'container' && !doc.spec.container?.image)
      throw invalid(`${label}: runtime "${rt.name}" needs spec.container.image`, ['Pass --image IMAGE, or build one with `kaos mcp build`.'])
    // params on a runtime that takes none: a warning (upstream.ts), as upstream KAOS drops them.
    // A server that cannot start without its params would only crash-loop.
    if (rt.paramsRequired && !doc.spec.params?.trim() && !setsEnv(doc, rt.paramsEnvVar!))
      throw invalid(`${label}: runtime "${rt.name}" needs spec.params (its server cannot start without them)`, [
        rt.name === 'rawpython' ? 'Pass --params-file tools.py (Python functions become tools), or set spec.params.' : 'Set spec.params, or pass --params / --params-file.',
      ])
    // stdio servers run behind kaos's adapter: built into the image (package runtimes), or put
    // next to an unchanged image by an init container, which needs the image's own command.
    if (rt.transport === 'stdio' && !rt.package && !(rt.command?.length || doc.spec.container?.command?.length))
      throw invalid(`${label}: runtime "${rt.name}" speaks MCP over stdio and kaos cannot tell how to start it behind its adapter`, [
        'Give the registry entry `package: npx://PACKAGE@VERSION` (or uvx://…), or the command that starts the server in its image (`command:`).',
      ])
    const expose = doc.spec.expose
    if (expose) {
      checkExpose(label, expose)
      if (expose.auth === 'bearer' && !runtimeAuth(rt))
        throw invalid(`${label}: runtime "${rt.name}" cannot check a bearer token itself, so kaos will not expose it with one (spec.expose.auth: bearer)`, [
          'Put an authenticating proxy or gateway of your own in front and pass --no-auth (spec.expose.auth: none), or declare `auth` in the runtime when the server checks tokens.',
        ])
      const replicas = doc.spec.replicas ?? 1
      if (sessionsOf(doc, rt) === 'sticky' && replicas > 1)
        throw invalid(
          `${label}: runtime "${rt.name}" keeps MCP sessions in memory (sessions: sticky), and ${replicas} replicas behind ${expose.type === 'ingress' ? 'an Ingress' : 'an HTTPRoute'} would break them: Ingress controllers and Gateways pick a pod per request and ignore the Service's ClientIP affinity`,
          ['Expose one replica, or a server that keeps no sessions (spec.sessions: stateless if yours is).'],
        )
    }
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
    if (doc.spec.expose) {
      checkExpose(label, doc.spec.expose)
      if (doc.spec.expose.auth === 'bearer')
        throw invalid(`${label}: the agent checks no bearer token itself, so kaos will not expose it with one (spec.expose.auth: bearer)`, [
          'Put an authenticating proxy or gateway of your own in front and pass --no-auth (spec.expose.auth: none).',
        ])
    }
  }
}

/** The fields each way in needs, and those it cannot use. */
function checkExpose(label: string, e: Expose): void {
  if (e.type === 'httproute') {
    if (!e.gateway) throw invalid(`${label}: spec.expose.type httproute needs spec.expose.gateway (the Gateway the route attaches to)`, ['Pass --gateway NAME/NAMESPACE.'])
    if (e.tlsSecret) throw invalid(`${label}: spec.expose.tlsSecret is for type ingress; an HTTPRoute's TLS is its Gateway listener's`, ['Configure the certificate on the Gateway, and drop --tls-secret.'])
    if (e.ingressClassName) throw invalid(`${label}: spec.expose.ingressClassName is for type ingress`)
  } else if (e.gateway) {
    throw invalid(`${label}: spec.expose.gateway is for type httproute`, ['Use --expose httproute with --gateway, or drop --gateway.'])
  }
}

/** Whether the document's container sets an env variable itself (value or valueFrom). */
function setsEnv(doc: MCPServerDoc, name: string): boolean {
  return (doc.spec.container?.env ?? []).some((e) => e.name === name)
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
