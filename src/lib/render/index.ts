import {type CatalogDoc, isCatalogKind} from '../catalog.js'
import type {AnyDoc, KaosDoc, MCPServerDoc, ModelAPIDoc} from '../documents.js'
import {docLabel, documentNotes, resolveRuntime, validateAgainstRegistry} from '../documents.js'
import {modelMatches, modelsOf, upstreamWarnings} from '../upstream.js'
import {invalid} from '../errors.js'
import type {GatewayChecks} from '../gateway-checks.js'
import {type Registry, ownImageRef} from '../registry.js'
import {renderAgent} from './agent.js'
import {type KubernetesObject} from './common.js'
import {ANNOTATION_INVENTORY, LABEL_MANAGED_BY, MANAGED_BY, workloadLabels} from '../names.js'
import {egressOf} from '../serving.js'
import {exposeObject} from './expose.js'
import {type GatewayRender, checkCatalogDoc, renderCatalogDoc, renderGateway} from './gateway.js'
import {type RenderResult, renderMCPServer} from './mcpserver.js'
import {modelAPIPort, renderModelAPI} from './modelapi.js'
import {type ApiServerAddresses, agentPolicy, gatewayPolicy, mcpServerPolicy, modelAPIPolicy} from './network-policy.js'

export * from './common.js'
export {type RenderResult, renderMCPServer} from './mcpserver.js'
export {litellmConfig, modelAPIPort, renderModelAPI} from './modelapi.js'
export {renderAgent} from './agent.js'
export {type ApiServerAddresses} from './network-policy.js'
export {checkCatalogDoc, renderCatalogDoc, renderGateway} from './gateway.js'

/** Apply order: identities and config before the workloads that mount them. */
export const APPLY_ORDER = ['Namespace', 'ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'NetworkPolicy', 'Deployment', 'Service', 'PodDisruptionBudget', 'Ingress', 'HTTPRoute']

/** Sort objects into apply order (stable within a kind). */
export function sortForApply(objects: KubernetesObject[]): KubernetesObject[] {
  const rank = (k: string) => {
    const i = APPLY_ORDER.indexOf(k)
    return i === -1 ? APPLY_ORDER.length : i
  }
  return objects.map((o, i) => ({o, i})).sort((a, b) => rank(a.o.kind) - rank(b.o.kind) || a.i - b.i).map((x) => x.o)
}

/**
 * Plain objects (Namespaces, a sample's Secret and RBAC) as they are applied: in their own
 * namespace, else `namespace` (cluster-scoped kinds in none). A Namespace document with only a
 * name would leave kaos owning no field of it, and the API server then rewrites its managed fields
 * on the next apply (reported as "configured" once): kaos's managed-by label gives it one.
 */
export function plainObjects(objects: KubernetesObject[], namespace: string): KubernetesObject[] {
  return objects.map((o) => {
    if (o.kind === 'Namespace') return {...o, metadata: {...o.metadata, labels: {[LABEL_MANAGED_BY]: MANAGED_BY, ...o.metadata.labels}}}
    return o.kind.startsWith('Cluster') || o.metadata.namespace ? o : {...o, metadata: {...o.metadata, namespace}}
  })
}

/**
 * Record on the Deployment every object its workload owns (ApplySet-style), so a later deploy
 * can prune what it no longer renders even if labels were edited by hand.
 */
function addInventory(objects: KubernetesObject[]): void {
  const dep = objects.find((o) => o.kind === 'Deployment')
  if (!dep) return
  const inventory = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort().join(',')
  dep.metadata.annotations = {...dep.metadata.annotations, [ANNOTATION_INVENTORY]: inventory}
}

export interface RenderContext {
  /** The namespace from -n / the kube context; a document's own metadata.namespace must agree. */
  namespace: string
  /** True when -n was given explicitly (then a different metadata.namespace is an error). */
  namespaceExplicit?: boolean
  registry: Registry
  /** Bearer tokens by MCPServer name, for runtimes with `auth` (deploy reads or generates them). */
  authTokens?: Record<string, string>
  /** ModelAPI ports known from the cluster, by name. Documents in the same set are added automatically. */
  modelAPIPorts?: Record<string, number>
  /** MCPServer ports known from the cluster, by name (default 8000). Documents in the same set are added automatically. */
  mcpServerPorts?: Record<string, number>
  /** Where pods reach the API server, for NetworkPolicies of runtimes that need it (read by deploy). */
  apiServer?: ApiServerAddresses
  /**
   * For gateways: the MCPTool, MCPPrompt and MCPResource documents stored in the cluster, and
   * its MCPServers (each with metadata.namespace). Undefined when the cluster was not read (an
   * offline render): a gateway then selects from the input alone, with a warning.
   */
  stored?: {catalog: CatalogDoc[]; mcpServers: MCPServerDoc[]}
  /** The gateway's configuration checks; required when the input holds gateways or catalog documents (see gateway-checks.ts). */
  gatewayChecks?: GatewayChecks
}

function needChecks(ctx: RenderContext, what: string): GatewayChecks {
  if (!ctx.gatewayChecks) throw new Error(`render: ${what} needs ctx.gatewayChecks (gatewayChecksFor)`)
  return ctx.gatewayChecks
}

/** Namespace for one document: its own, or the context's; a mismatch with an explicit -n is an error. */
export function namespaceFor(doc: AnyDoc, ctx: Pick<RenderContext, 'namespace' | 'namespaceExplicit'>): string {
  const own = doc.metadata.namespace
  if (own && ctx.namespaceExplicit && own !== ctx.namespace)
    throw invalid(`${doc.kind} "${doc.metadata.name}": metadata.namespace "${own}" does not match -n ${ctx.namespace}`, ['Drop one of them, or make them agree.'])
  return own ?? ctx.namespace
}

function withPolicy(r: RenderResult, p: {policy: KubernetesObject; warnings: string[]}): RenderResult {
  return {objects: [...r.objects, p.policy], warnings: [...r.warnings, ...p.warnings]}
}

/**
 * Validate and render documents into Kubernetes objects, in apply order. Pure: no I/O; the same
 * result feeds YAML output, server-side dry run and apply.
 */
export function render(input: AnyDoc[], ctx: RenderContext): RenderResult {
  const seen = new Set<string>()
  for (const d of input) {
    const key = `${d.kind}/${namespaceFor(d, ctx)}/${d.metadata.name}`
    if (seen.has(key)) throw invalid(`${d.kind} "${d.metadata.name}" appears twice in the input`, ['Give each document its own metadata.name.'])
    seen.add(key)
    validateAgainstRegistry(d, ctx.registry)
  }
  const docs = input.filter((d): d is KaosDoc => !isCatalogKind(d.kind))
  const catalogDocs = input.filter((d): d is CatalogDoc => isCatalogKind(d.kind))
  for (const d of catalogDocs) checkCatalogDoc(d, namespaceFor(d, ctx), needChecks(ctx, `${d.kind} "${d.metadata.name}"`))
  const modelAPIPorts = {...ctx.modelAPIPorts}
  for (const d of docs) if (d.kind === 'ModelAPI') modelAPIPorts[d.metadata.name] = modelAPIPort(d, ctx.registry.defaults)
  const mcpServerPorts = {...ctx.mcpServerPorts}
  for (const d of docs) if (d.kind === 'MCPServer') mcpServerPorts[d.metadata.name] = resolveRuntime(d, ctx.registry).port

  checkAgentModels(docs, ctx)
  const mcpReach = agentMcpWarnings(docs, ctx)

  const objects: KubernetesObject[] = catalogDocs.map((d) => renderCatalogDoc(d, namespaceFor(d, ctx)))
  const warnings: string[] = [...input.flatMap((d) => documentNotes(d)), ...mcpReach]
  const {defaults} = ctx.registry
  for (const doc of docs) {
    const namespace = namespaceFor(doc, ctx)
    const labels = workloadLabels(doc.kind, doc.metadata.name, doc.metadata.labels)
    const policy = doc.spec.networkPolicy ?? defaults.networkPolicy
    let r: RenderResult
    warnings.push(...upstreamWarnings(doc, doc.kind === 'MCPServer' ? resolveRuntime(doc, ctx.registry) : undefined))
    if (doc.kind === 'MCPServer') {
      const runtime = resolveRuntime(doc, ctx.registry)
      const gateway = runtime.gateway ? gatewayFor(doc, namespace, input, ctx) : undefined
      r = renderMCPServer(doc, runtime, {namespace, authToken: ctx.authTokens?.[doc.metadata.name], adapterImage: ownImageRef('stdio-adapter', defaults.imageRegistry), gateway})
      if (policy && gateway) r = withPolicy(r, gatewayPolicy(doc, {namespace, labels, port: runtime.port, calls: gateway.calls, extra: doc.spec.egress, apiServer: ctx.apiServer}))
      else if (policy) r = withPolicy(r, mcpServerPolicy(doc, {namespace, labels, port: runtime.port, ...egressOf(doc, runtime), runtime: runtime.name, apiServer: ctx.apiServer}))
      if (doc.spec.expose) r.objects.push(exposeObject(doc.kind, doc.metadata.name, namespace, labels, doc.spec.expose, runtime.port, runtime.path, doc.spec.gatewayRoute?.timeout))
    } else if (doc.kind === 'Agent') {
      r = renderAgent(doc, {namespace, defaults, modelAPIPorts, mcpServerPorts})
      const modelAPIPort = modelAPIPorts[doc.spec.modelAPI] ?? defaults.modelAPI.proxy.port
      if (policy) r = withPolicy(r, agentPolicy(doc, {namespace, labels, port: defaults.agent.port, modelAPIPort, mcpServerPorts, peerPort: defaults.agent.port}))
      if (doc.spec.expose) r.objects.push(exposeObject(doc.kind, doc.metadata.name, namespace, labels, doc.spec.expose, defaults.agent.port, '/', doc.spec.gatewayRoute?.timeout))
    } else {
      r = renderModelAPI(doc, {namespace, defaults})
      if (policy) r = withPolicy(r, modelAPIPolicy(doc, {namespace, labels, port: modelAPIPort(doc, defaults)}))
    }
    const exposed = doc.kind !== 'ModelAPI' ? doc.spec.expose : undefined
    if (exposed?.auth === 'none')
      r.warnings.push(`${doc.kind} "${doc.metadata.name}": exposed at ${exposed.host} without a bearer token (--no-auth): anyone who reaches that host can call it; keep an authenticating proxy or gateway in front`)
    addInventory(r.objects)
    objects.push(...r.objects)
    warnings.push(...r.warnings)
  }
  return {objects: sortForApply(objects), warnings}
}

/**
 * An agent's model must be one its model API serves, when that model API is in the input: the
 * check upstream KAOS's operator makes (it marks the agent Failed), made before anything is applied.
 */
function checkAgentModels(docs: KaosDoc[], ctx: RenderContext): void {
  const apis = new Map(docs.filter((d): d is ModelAPIDoc => d.kind === 'ModelAPI').map((d) => [`${namespaceFor(d, ctx)}/${d.metadata.name}`, d]))
  for (const d of docs) {
    if (d.kind !== 'Agent') continue
    const api = apis.get(`${namespaceFor(d, ctx)}/${d.spec.modelAPI}`)
    if (!api) continue
    const models = modelsOf(api)
    if (!models.some((m) => modelMatches(m, d.spec.model)))
      throw invalid(`${docLabel(d)}: spec.model "${d.spec.model}" is not served by ModelAPI "${api.metadata.name}" (it serves ${models.map((m) => JSON.stringify(m)).join(', ')})`, [
        api.spec.mode === 'Hosted' ? 'Use the hosted model as the agent\'s model.' : 'Add the model to its proxyConfig.models ("*" or "provider/*" admit many), or pick one it serves.',
      ])
  }
}

/**
 * The agent runtime reaches an MCP server over streamable HTTP at `<its URL>/mcp`, and nothing
 * else: an MCP server in the input that serves SSE, or another path, is said to be unreachable.
 */
function agentMcpWarnings(docs: KaosDoc[], ctx: RenderContext): string[] {
  const servers = new Map(docs.filter((d): d is MCPServerDoc => d.kind === 'MCPServer').map((d) => [`${namespaceFor(d, ctx)}/${d.metadata.name}`, d]))
  const out: string[] = []
  for (const d of docs) {
    if (d.kind !== 'Agent') continue
    for (const m of d.spec.mcpServers) {
      const server = servers.get(`${namespaceFor(d, ctx)}/${m}`)
      if (!server) continue
      const rt = resolveRuntime(server, ctx.registry)
      if (rt.transport === 'sse' || rt.path !== '/mcp')
        out.push(
          `${docLabel(d)}: MCPServer "${m}" serves ${rt.transport === 'sse' ? 'SSE' : 'streamable HTTP'} at ${rt.path}, but the agent runtime calls MCP servers over streamable HTTP at /mcp only: it will not reach its tools`,
        )
    }
  }
  return out
}

/**
 * What a gateway in `namespace` selects from: the input's documents, and the cluster's where the
 * input has none of that kind and name (the input is what is being deployed).
 */
function gatewayFor(doc: MCPServerDoc, namespace: string, input: AnyDoc[], ctx: RenderContext): GatewayRender {
  const here = <T extends AnyDoc>(list: T[]) => list.filter((d) => namespaceFor(d, ctx) === namespace)
  const merge = <T extends AnyDoc>(own: T[], stored: T[]) => {
    const keys = new Set(own.map((d) => `${d.kind}/${d.metadata.name}`))
    return [...own, ...stored.filter((d) => !keys.has(`${d.kind}/${d.metadata.name}`))]
  }
  const inCatalog = here(input.filter((d): d is CatalogDoc => isCatalogKind(d.kind)))
  const inServers = here(input.filter((d): d is MCPServerDoc => d.kind === 'MCPServer'))
  const stored = ctx.stored
  const r = renderGateway(doc, {
    namespace,
    catalog: merge(inCatalog, (stored?.catalog ?? []).filter((d) => d.metadata.namespace === namespace)),
    mcpServers: merge(inServers, (stored?.mcpServers ?? []).filter((d) => d.metadata.namespace === namespace)),
    registry: ctx.registry,
    checks: needChecks(ctx, `MCPServer "${doc.metadata.name}"`),
  })
  if (!stored)
    r.warnings.push(
      `MCPServer "${doc.metadata.name}": selected from the input only (${describeSelection(r)}); a deploy also selects the MCPTool, MCPPrompt, MCPResource and MCPServer documents already in namespace ${namespace}`,
    )
  return r
}

function describeSelection(r: GatewayRender): string {
  const {tools, prompts, resources, upstreams} = r.selected
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`
  return [n(tools.length, 'tool'), n(prompts.length, 'prompt'), n(resources.length, 'resource'), n(upstreams.length, 'upstream')].join(', ')
}
