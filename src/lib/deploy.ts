import {applyAll, deleteObject, findPrunable, type AppliedObject, type ObjectRef} from './cluster/apply.js'
import {Cluster} from './cluster/client.js'
import {authTokens, checkReferences, clusterRegistrySource, ensureNamespace} from './cluster/state.js'
import {type WaitResult, waitForDeployments} from './cluster/wait.js'
import type {KaosDoc} from './documents.js'
import {parseDuration} from './duration.js'
import type {Registry, RegistrySource} from './registry.js'
import {type KubernetesObject, namespaceFor, render, selectorLabels} from './render/index.js'

export interface DeployOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  systemNamespace: string
  dryRun?: 'server'
  wait?: boolean
  timeout?: string
  forceConflicts?: boolean
  createNamespace?: boolean
  skipSecretCheck?: boolean
}

export interface DeployHooks {
  /** Build the registry with the cluster's ConfigMap source (the command adds plugins). */
  registry: (cluster: RegistrySource[]) => Promise<Registry>
  progress?: (message: string) => void
}

export interface DeployOutcome {
  dryRun?: 'server'
  namespace: string
  objects: KubernetesObject[]
  applied: AppliedObject[]
  pruned: ObjectRef[]
  warnings: string[]
  ready?: WaitResult[]
}

/**
 * Deploy documents: registry (with the cluster ConfigMap), namespace check, token reuse, render,
 * reference checks, server-side dry run of everything, apply in order, prune, and optionally
 * wait. An invalid object or missing reference stops before anything is written.
 */
export async function deploy(docs: KaosDoc[], opts: DeployOptions, hooks: DeployHooks): Promise<DeployOutcome> {
  const progress = hooks.progress ?? (() => {})
  const timeoutMs = opts.wait ? parseDuration(opts.timeout ?? '5m') : 0
  const cluster = Cluster.connect(opts)
  const warnings: string[] = []
  const registry = await hooks.registry(await clusterRegistrySource(cluster, opts.systemNamespace, warnings))
  warnings.push(...registry.warnings)
  const ctx = {namespace: cluster.namespace, namespaceExplicit: cluster.namespaceExplicit}
  const namespaces = [...new Set(docs.map((d) => namespaceFor(d, ctx)))]
  const createdNamespaces: string[] = []
  for (const ns of namespaces) if (await ensureNamespace(cluster, ns, Boolean(opts.createNamespace), opts.dryRun === 'server')) createdNamespaces.push(ns)

  let wrote = false
  try {
    const tokens = await authTokens(cluster, docs, registry, (d) => namespaceFor(d, ctx))
    const {objects, warnings: renderWarnings} = render(docs, {...ctx, registry, authTokens: tokens})
    warnings.push(...renderWarnings)
    if (!opts.skipSecretCheck) await checkReferences(cluster, objects, docs, registry, warnings)
    progress(`validating ${objects.length} objects with the API server`)
    const applied = await applyAll(cluster, objects, {
      force: opts.forceConflicts,
      dryRun: opts.dryRun === 'server',
      onApplied: (a) => {
        wrote = true
        progress(`${a.kind.toLowerCase()}/${a.name} ${a.action}`)
      },
    })
    const prunable = await findPrunable(cluster, objects)
    for (const r of prunable) {
      await deleteObject(cluster, r, {dryRun: opts.dryRun === 'server'})
      progress(`${r.kind.toLowerCase()}/${r.name} pruned`)
    }
    const outcome: DeployOutcome = {namespace: cluster.namespace, objects, applied, pruned: prunable, warnings, ...(opts.dryRun ? {dryRun: opts.dryRun} : {})}
    if (opts.wait && !opts.dryRun) {
      const targets = docs.map((d) => {
        const ns = namespaceFor(d, ctx)
        const sel = selectorLabels(d.kind, d.metadata.name)
        return {name: objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === ns && o.metadata.labels?.['kaos.tools/name'] === d.metadata.name)!.metadata.name, namespace: ns, selector: Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',')}
      })
      outcome.ready = await waitForDeployments(cluster, targets, {timeoutMs, onProgress: (t, text) => progress(`deployment/${t.name}: ${text}`)})
    }
    return outcome
  } catch (error) {
    // Nothing half-applied: a namespace this run created for a deploy that failed validation goes too.
    if (!wrote) for (const ns of createdNamespaces) await deleteObject(cluster, {kind: 'Namespace', name: ns}).catch(() => {})
    throw error
  }
}
