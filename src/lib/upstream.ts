// Documents written for upstream KAOS (the Go operator of axsaucedo/kaos, same apiVersion) deploy
// unchanged. kaos has no operator, so each upstream field is one of: supported (rendered as the
// operator renders it), ignored with a warning naming it (it only means something to an operator:
// Gateway API routes, the authorization plane, MemoryStores), or refused with the reason. Nothing
// is dropped silently. The README's "Coming from upstream KAOS" has the whole table. Pure: no I/O.
import type {AgentDoc, KaosDoc, MCPServerDoc, ModelAPIDoc} from './documents.js'
import type {Runtime} from './registry.js'

/** Upstream runtime names kaos serves with one of its own runtimes (same params format). */
export const RUNTIME_ALIASES: Record<string, string> = {
  // Upstream renamed its rawpython runtime to python-string; params are the same Python source
  // (top-level functions become tools), which kaos's rawpython takes as is.
  'python-string': 'rawpython',
}

/** Upstream runtimes kaos does not ship, and what to do instead. */
export const UPSTREAM_ONLY_RUNTIMES: Record<string, string> = {
  'fastmcp-codemode': "upstream KAOS's FastMCP CodeMode server (image axsauze/kaos-mcp-fastmcp-codemode)",
  'pctx-codemode': "upstream KAOS's pctx code-mode gateway (image axsauze/kaos-mcp-pctx-codemode)",
}

/**
 * Kinds of upstream KAOS's API group that only its operator and services act on. `kaos apply`
 * skips them with this reason; what names them keeps working without them.
 */
export const UPSTREAM_ONLY_KINDS: Record<string, string> = {
  MemoryStore: "needs upstream KAOS's memory service and operator; agents that name it keep local short-term memory",
  AccessGrant: "is enforced by upstream KAOS's authorization plane (gateway and policy decision point), which kaos does not run",
  ThirdPartyService: "is served by upstream KAOS's token-exchange service and operator, which kaos does not run",
}

/** Plain Kubernetes kinds `kaos apply` takes next to the documents: what a pod's identity needs. */
export const PLAIN_RBAC_KINDS = ['ServiceAccount', 'Role', 'RoleBinding'] as const

/** Server-written metadata found in `kubectl get -o yaml` output: dropped, with a warning. */
export const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'finalizers', 'ownerReferences'] as const

/**
 * Spellings upstream KAOS used before its 2026 redesign, which its own operator no longer reads:
 * refused with the current spelling, since guessing at their meaning would deploy something else.
 */
export function legacyProblem(kind: string, spec: unknown): string | undefined {
  if (!spec || typeof spec !== 'object') return undefined
  const s = spec as Record<string, any>
  if (kind === 'MCPServer') {
    if ('type' in s) return 'spec.type is the old upstream KAOS spelling (before 2026): write spec.runtime (python-string for Python tool code, or a runtime from `kaos system runtimes`)'
    if ('config' in s) return 'spec.config is the old upstream KAOS spelling (before 2026): write spec.params (tool code for runtime python-string), spec.container.env and spec.telemetry'
    if ('resources' in s) return 'spec.resources is the old upstream KAOS spelling: write spec.container.resources'
  }
  if (kind === 'Agent' && s.config && typeof s.config === 'object' && 'env' in s.config) return 'spec.config.env is the old upstream KAOS spelling: write spec.container.env'
  if (kind === 'ModelAPI') {
    if (s.proxyConfig && typeof s.proxyConfig === 'object' && 'env' in s.proxyConfig) return 'spec.proxyConfig.env is the old upstream KAOS spelling: write spec.container.env'
    if (s.hostedConfig && typeof s.hostedConfig === 'object' && 'env' in s.hostedConfig) return 'spec.hostedConfig.env is the old upstream KAOS spelling: write spec.container.env'
  }
  return undefined
}

/** Whether an upstream model pattern (`*`, exact, `prefix/*`) admits a model, as upstream's operator checks it. */
export function modelMatches(pattern: string, model: string): boolean {
  if (pattern === '*' || pattern === model) return true
  return pattern.endsWith('/*') && model.startsWith(pattern.slice(0, -1))
}

/** The models a ModelAPI serves, as upstream checks an agent's model against them. */
export function modelsOf(doc: ModelAPIDoc): string[] {
  return doc.spec.mode === 'Hosted' ? [doc.spec.hostedConfig?.model ?? ''] : (doc.spec.proxyConfig?.models ?? [])
}

/** The OTEL_* env upstream's operator gives agents and MCP servers with telemetry enabled. */
export function telemetryEnv(name: string, namespace: string, endpoint: string | undefined): Array<{name: string; value: string}> {
  return [
    {name: 'OTEL_SDK_DISABLED', value: 'false'},
    {name: 'OTEL_SERVICE_NAME', value: name},
    ...(endpoint ? [{name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: endpoint}] : []),
    {name: 'OTEL_RESOURCE_ATTRIBUTES', value: `service.namespace=${namespace},kaos.resource.name=${name}`},
    {name: 'OTEL_PYTHON_FASTAPI_EXCLUDED_URLS', value: '/health,/ready'},
  ]
}

const label = (doc: KaosDoc) => `${doc.kind} "${doc.metadata.name}"`

/** Memory fields that bind a MemoryStore (upstream's memory service): ignored, local memory kept. */
const STORE_MEMORY_FIELDS = ['memoryStore', 'maxReadScope', 'scope', 'defaultReadScope', 'readScopes', 'tools', 'failureMode', 'clientParams', 'redisURL'] as const

/**
 * Warnings for the upstream fields a document sets that kaos does not act on, each naming the
 * field and why. `runtime` is the MCPServer's resolved runtime.
 */
export function upstreamWarnings(doc: KaosDoc, runtime?: Runtime): string[] {
  const out: string[] = []
  const w = (field: string, why: string) => out.push(`${label(doc)}: ${field} ignored: ${why}`)
  const spec = doc.spec as Record<string, any>
  // With spec.expose httproute, kaos makes the route and sets its timeout (render/expose.ts).
  if (spec.gatewayRoute && spec.expose?.type !== 'httproute')
    w('spec.gatewayRoute', "it configures the HTTPRoute upstream KAOS's operator makes on its Gateway; kaos makes a route only with spec.expose type httproute (--expose httproute --gateway G), and then sets this timeout on it")
  if (spec.security) w('spec.security', "it is the identity upstream KAOS's authorization plane uses, which kaos does not run")
  const ports = spec.container?.ports as Array<{containerPort: number}> | undefined
  const port = doc.kind === 'MCPServer' ? runtime?.port : undefined
  if (ports?.length && !(port !== undefined && ports.length === 1 && ports[0].containerPort === port))
    w('spec.container.ports', `kaos serves on the port the workload's kind or runtime declares${port === undefined ? '' : ` (${port})`}; change it with spec.podSpec`)
  if (doc.kind === 'MCPServer') mcpServerWarnings(doc, runtime, w)
  if (doc.kind === 'Agent') agentWarnings(doc, w)
  if (doc.kind === 'ModelAPI') modelAPIWarnings(doc, w)
  return out
}

type Warn = (field: string, why: string) => void

function mcpServerWarnings(doc: MCPServerDoc, runtime: Runtime | undefined, w: Warn): void {
  if (doc.spec.params !== undefined && runtime && !runtime.paramsEnvVar)
    w('spec.params', `runtime "${runtime.name}" takes no params (it declares no paramsEnvVar); upstream KAOS drops them too`)
  if (doc.spec.telemetry?.enabled && !doc.spec.telemetry.endpoint) w('spec.telemetry.enabled', "no spec.telemetry.endpoint: upstream KAOS falls back to its operator's default endpoint, which kaos does not have")
}

function agentWarnings(doc: AgentDoc, w: Warn): void {
  const {spec} = doc
  if (spec.agentNetwork?.expose === false)
    w('spec.agentNetwork.expose: false', 'kaos renders the Service agent-<name> anyway: kaos agent invoke, a2a and status reach the agent through it (restrict who may call it with a NetworkPolicy)')
  if (spec.waitForDependencies === true)
    w('spec.waitForDependencies', "kaos applies model APIs and MCP servers before the agents that name them, but does not hold the agent's Deployment back until they are ready (there is no operator); the agent connects to them when it first needs them")
  const mem = spec.config?.memory
  if (mem) {
    const set = STORE_MEMORY_FIELDS.filter((f) => mem[f] !== undefined)
    if (mem.type === 'remote' || mem.type === 'redis' || set.length > 0) {
      const fields = [...(mem.type === 'remote' || mem.type === 'redis' ? [`type: ${mem.type}`] : []), ...set].map((f) => `spec.config.memory.${f}`)
      w(fields.join(', '), "a memory store needs upstream KAOS's memory service and operator; the agent keeps local short-term memory")
    }
  }
  if (spec.config?.telemetry?.enabled && !spec.config.telemetry.endpoint) w('spec.config.telemetry.enabled', "no spec.config.telemetry.endpoint: upstream KAOS falls back to its operator's default endpoint, which kaos does not have")
}

function modelAPIWarnings(doc: ModelAPIDoc, w: Warn): void {
  const t = doc.spec.telemetry
  if (t?.enabled && doc.spec.mode === 'Hosted') w('spec.telemetry', 'Ollama does not export OpenTelemetry (upstream KAOS says the same)')
  else if (t?.enabled && !t.endpoint) w('spec.telemetry.enabled', "no spec.telemetry.endpoint: upstream KAOS falls back to its operator's default endpoint, which kaos does not have")
}
