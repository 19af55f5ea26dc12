// `kaos delete -f`: the workloads of the documents in a file, callers first (agents before the
// model APIs and MCP servers they call), each workload's objects found by its labels.
import {Cluster} from './cluster/client.js'
import {type ObjectRef, deleteObject} from './cluster/objects.js'
import {dependencyLayers} from './dependencies.js'
import {type AnyDoc, type KaosDoc, type NamespaceDoc, type RbacDoc, isWorkloadDoc} from './documents.js'
import {parseDuration} from './duration.js'
import {isCatalogKind} from './kinds.js'
import {REPORT_GRACE_MS} from './deploy.js'
import {namespaceFor} from './render/index.js'
import {type WorkloadRef, deleteWorkloads} from './workloads.js'

export interface DeleteDocumentsOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  requestTimeoutMs?: number
  wait?: boolean
  timeout?: string
  ignoreNotFound?: boolean
  onDeleted?: (r: ObjectRef) => void
  onProgress?: (message: string) => void
  /** ServiceAccounts, Roles and RoleBindings of the input: deleted after the workloads that ran as them. */
  rbac?: RbacDoc[]
}

export interface DeleteDocumentsOutcome {
  deleted: ObjectRef[]
  notFound: WorkloadRef[]
  /** Namespace documents of the input: never deleted (everything in them would go too). */
  keptNamespaces: string[]
}

/**
 * Delete the workload of every document, in reverse dependency order; with `wait`, each layer is
 * gone before the next is deleted. A workload that is not there is an error before anything is
 * deleted, unless `ignoreNotFound`. Namespace documents are left alone.
 */
export async function deleteDocuments(docs: AnyDoc[], namespaces: NamespaceDoc[], opts: DeleteDocumentsOptions): Promise<DeleteDocumentsOutcome> {
  const timeoutMs = parseDuration(opts.timeout ?? '2m')
  const cluster = Cluster.connect({...opts, deadline: AbortSignal.timeout(timeoutMs + REPORT_GRACE_MS)})
  return deleteDocumentsIn(cluster, docs, namespaces, {...opts, timeoutMs})
}

/** `deleteDocuments` on a connection the caller made (with its deadline). */
export async function deleteDocumentsIn(cluster: Cluster, docs: AnyDoc[], namespaces: NamespaceDoc[], opts: DeleteDocumentsOptions & {timeoutMs: number}): Promise<DeleteDocumentsOutcome> {
  const {timeoutMs} = opts
  const ctx = {namespace: cluster.namespace, namespaceExplicit: cluster.namespaceExplicit}
  const namespaceOf = (d: AnyDoc) => namespaceFor(d, ctx)
  const layers: WorkloadRef[][] = dependencyLayers(docs.filter(isWorkloadDoc), namespaceOf)
    .reverse()
    .map((layer) => layer.map((d: KaosDoc) => ({kind: d.kind, name: d.metadata.name, namespace: namespaceOf(d)})))
  // Catalog documents last, after the gateways that serve them (a gateway still running would
  // keep serving what it was rendered with; one not in the input keeps it until it is refreshed).
  const catalog = docs.filter((d) => isCatalogKind(d.kind)).map((d) => ({kind: d.kind, name: d.metadata.name, namespace: namespaceOf(d)}) as WorkloadRef)
  if (catalog.length > 0) layers.push(catalog)
  const {deleted, notFound} = await deleteWorkloads(cluster, layers, {wait: opts.wait, timeoutMs, ignoreNotFound: opts.ignoreNotFound, onDeleted: opts.onDeleted, onProgress: opts.onProgress})
  // As `kubectl delete -f` would: these are the file's own objects (one already gone is no error).
  for (const o of opts.rbac ?? []) {
    const ref = {kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? cluster.namespace}
    if (await deleteObject(cluster, ref)) {
      deleted.push(ref)
      opts.onDeleted?.(ref)
    }
  }
  return {deleted, notFound, keptNamespaces: namespaces.map((n) => n.metadata.name)}
}
