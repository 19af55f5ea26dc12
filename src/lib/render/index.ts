import type {KaosDoc} from '../documents.js'
import {resolveRuntime, validateAgainstRegistry} from '../documents.js'
import {invalid} from '../errors.js'
import {type Registry, ownImageRef} from '../registry.js'
import {renderAgent} from './agent.js'
import {type KubernetesObject} from './common.js'
import {ANNOTATION_INVENTORY, LABEL_MANAGED_BY, MANAGED_BY} from '../names.js'
import {type RenderResult, renderMCPServer} from './mcpserver.js'
import {modelAPIPort, renderModelAPI} from './modelapi.js'

export * from './common.js'
export {type RenderResult, renderMCPServer} from './mcpserver.js'
export {litellmConfig, modelAPIPort, renderModelAPI} from './modelapi.js'
export {renderAgent} from './agent.js'

/** Apply order: identities and config before the workloads that mount them. */
export const APPLY_ORDER = ['Namespace', 'ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Deployment', 'Service']

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
}

/** Namespace for one document: its own, or the context's; a mismatch with an explicit -n is an error. */
export function namespaceFor(doc: KaosDoc, ctx: Pick<RenderContext, 'namespace' | 'namespaceExplicit'>): string {
  const own = doc.metadata.namespace
  if (own && ctx.namespaceExplicit && own !== ctx.namespace)
    throw invalid(`${doc.kind} "${doc.metadata.name}": metadata.namespace "${own}" does not match -n ${ctx.namespace}`, ['Drop one of them, or make them agree.'])
  return own ?? ctx.namespace
}

/**
 * Validate and render documents into Kubernetes objects, in apply order. Pure: no I/O; the same
 * result feeds YAML output, server-side dry run and apply.
 */
export function render(docs: KaosDoc[], ctx: RenderContext): RenderResult {
  const seen = new Set<string>()
  for (const d of docs) {
    const key = `${d.kind}/${namespaceFor(d, ctx)}/${d.metadata.name}`
    if (seen.has(key)) throw invalid(`${d.kind} "${d.metadata.name}" appears twice in the input`, ['Give each document its own metadata.name.'])
    seen.add(key)
    validateAgainstRegistry(d, ctx.registry)
  }
  const modelAPIPorts = {...ctx.modelAPIPorts}
  for (const d of docs) if (d.kind === 'ModelAPI') modelAPIPorts[d.metadata.name] = modelAPIPort(d, ctx.registry.defaults)
  const mcpServerPorts = {...ctx.mcpServerPorts}
  for (const d of docs) if (d.kind === 'MCPServer') mcpServerPorts[d.metadata.name] = resolveRuntime(d, ctx.registry).port

  const objects: KubernetesObject[] = []
  const warnings: string[] = []
  for (const doc of docs) {
    const namespace = namespaceFor(doc, ctx)
    let r: RenderResult
    if (doc.kind === 'MCPServer')
      r = renderMCPServer(doc, resolveRuntime(doc, ctx.registry), {namespace, authToken: ctx.authTokens?.[doc.metadata.name], adapterImage: ownImageRef('stdio-adapter', ctx.registry.defaults.imageRegistry)})
    else if (doc.kind === 'Agent') r = renderAgent(doc, {namespace, defaults: ctx.registry.defaults, modelAPIPorts, mcpServerPorts})
    else r = renderModelAPI(doc, {namespace, defaults: ctx.registry.defaults})
    addInventory(r.objects)
    objects.push(...r.objects)
    warnings.push(...r.warnings)
  }
  return {objects: sortForApply(objects), warnings}
}
