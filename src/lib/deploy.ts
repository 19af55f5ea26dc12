import {type AppliedObject, applyAll, readLive, validateAll} from './cluster/apply.js'
import {authTokens} from './cluster/auth-tokens.js'
import {Cluster} from './cluster/client.js'
import {ensureNamespaces} from './cluster/namespaces.js'
import {type ObjectRef, deleteObject} from './cluster/objects.js'
import {inventoryCandidates, listPruneCandidates, prunable} from './cluster/prune.js'
import {checkReferences} from './cluster/references.js'
import {clusterRegistrySource} from './cluster/registry-configmap.js'
import {type WaitResult, waitForDeployments} from './cluster/wait.js'
import {checkGatewayServices, readStoredCatalog} from './catalog-store.js'
import {type AnyDoc, type KaosDoc, isWorkloadDoc} from './documents.js'
import {gatewayChecksFor} from './gateway-checks.js'
import {checkImages} from './image-preflight.js'
import {parseDuration} from './duration.js'
import {checkRenderedObjects} from './k8s-schema.js'
import {LABEL_NAME, podSelector} from './names.js'
import type {Registry, RegistrySource} from './registry.js'
import {type KubernetesObject, namespaceFor, render} from './render/index.js'

/** Time allowed after --timeout to explain a timeout (the pods' events and logs). */
export const REPORT_GRACE_MS = 2000

export interface DeployOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  requestTimeoutMs?: number
  systemNamespace: string
  dryRun?: 'server'
  wait?: boolean
  timeout?: string
  forceConflicts?: boolean
  createNamespace?: boolean
  skipSecretCheck?: boolean
  skipImageCheck?: boolean
  /** Stored catalog documents gateways must not select (ones being deleted): `Kind/namespace/name`. */
  withoutStored?: string[]
}

export interface DeployHooks {
  /** Build the registry with the cluster's ConfigMap source (the command adds plugins). */
  registry: (cluster: RegistrySource[]) => Promise<Registry>
  progress?: (message: string) => void
  /** Runs once everything is validated, before the first write (a delete that goes with this deploy). */
  beforeApply?: () => Promise<void>
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
 * reference checks, server-side dry run of everything, apply, prune, and optionally wait. An
 * invalid object or missing reference stops before anything is written. Requests that do not
 * depend on each other go out together: this runs in CI hundreds of times a day.
 */
export async function deploy(docs: AnyDoc[], opts: DeployOptions, hooks: DeployHooks): Promise<DeployOutcome> {
  const progress = hooks.progress ?? (() => {})
  // --timeout bounds the whole deploy, not only the wait: a hung API server cannot hold CI longer.
  const timeoutMs = parseDuration(opts.timeout ?? '5m')
  const deadlineAt = Date.now() + timeoutMs
  // A little past --timeout, so that a wait that times out can still ask why (events, logs).
  const deadline = AbortSignal.timeout(timeoutMs + REPORT_GRACE_MS)
  const cluster = Cluster.connect({...opts, deadline})
  const warnings: string[] = []
  const ctx = {namespace: cluster.namespace, namespaceExplicit: cluster.namespaceExplicit}
  const namespaceOf = (d: AnyDoc) => namespaceFor(d, ctx)
  const namespaces = [...new Set(docs.map(namespaceOf))]
  const [clusterSources, createdNamespaces] = await Promise.all([
    clusterRegistrySource(cluster, opts.systemNamespace, warnings),
    ensureNamespaces(cluster, namespaces, Boolean(opts.createNamespace), opts.dryRun === 'server'),
  ])
  let wrote = false
  try {
    const registry = await hooks.registry(clusterSources)
    warnings.push(...registry.warnings)
    const workloads = docs.filter(isWorkloadDoc)
    // Gateways select from what the cluster already holds as well as from the input.
    const gatewayNamespaces = [
      ...new Set(workloads.filter((d) => d.kind === 'MCPServer' && registry.runtimes.get(d.spec.runtime)?.gateway).map(namespaceOf)),
    ]
    const [tokens, stored, gatewayChecks] = await Promise.all([
      authTokens(cluster, workloads, registry, namespaceOf),
      gatewayNamespaces.length > 0 ? readStoredCatalog(cluster, gatewayNamespaces, warnings) : undefined,
      gatewayChecksFor(docs, registry),
    ])
    if (stored && opts.withoutStored?.length) {
      const drop = new Set(opts.withoutStored)
      stored.catalog = stored.catalog.filter((d) => !drop.has(`${d.kind}/${d.metadata.namespace}/${d.metadata.name}`))
    }
    const {objects, warnings: renderWarnings} = render(docs, {...ctx, registry, authTokens: tokens, stored: stored ?? {catalog: [], mcpServers: []}, gatewayChecks})
    // What the API server would refuse is refused here, before anything is written.
    checkRenderedObjects(objects, docs)
    warnings.push(...renderWarnings)
    progress(`validating ${objects.length} objects with the API server`)
    // What is live now, and what an earlier deploy left that this one may prune, are read before
    // anything is written (see prune.ts); the reference check and the server's dry run of every
    // object go out with them: none depends on another.
    const settled = await Promise.allSettled([
      opts.skipSecretCheck ? undefined : checkReferences(cluster, objects, workloads, registry, warnings),
      opts.skipSecretCheck ? undefined : checkGatewayServices(cluster, objects).catch((e) => forbiddenAsWarning(e, warnings, 'could not check the Services gateways call')),
      opts.skipImageCheck ? undefined : checkImages(cluster, objects, warnings),
      validateAll(cluster, objects, {force: opts.forceConflicts}),
      readLive(cluster, objects),
      listPruneCandidates(cluster, objects),
    ] as const)
    // Report failures in a fixed order (a missing Secret before what the dry run says), whichever came first.
    for (const r of settled) if (r.status === 'rejected') throw r.reason
    const [, , , validated, live, listed] = settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [unknown, unknown, unknown, KubernetesObject[], Awaited<ReturnType<typeof readLive>>, Awaited<ReturnType<typeof listPruneCandidates>>]
    const candidates = [...listed, ...inventoryCandidates(objects, live)]
    if (hooks.beforeApply) {
      wrote = true
      await hooks.beforeApply()
    }
    const applied = await applyAll(cluster, objects, {
      force: opts.forceConflicts,
      dryRun: opts.dryRun === 'server',
      live,
      validated,
      onApplied: (a) => {
        wrote = true
        progress(`${a.kind.toLowerCase()}/${a.name} ${a.action}`)
      },
    })
    const pruned = prunable(candidates, objects)
    await Promise.all(pruned.map((r) => deleteObject(cluster, r, {dryRun: opts.dryRun === 'server'})))
    for (const r of pruned) progress(`${r.kind.toLowerCase()}/${r.name} pruned`)
    const outcome: DeployOutcome = {namespace: cluster.namespace, objects, applied, pruned, warnings, ...(opts.dryRun ? {dryRun: opts.dryRun} : {})}
    if (opts.wait && !opts.dryRun) {
      const targets = workloads.map((d) => {
        const ns = namespaceOf(d)
        const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === ns && o.metadata.labels?.[LABEL_NAME] === d.metadata.name)!
        return {name: dep.metadata.name, namespace: ns, selector: podSelector(d.kind, d.metadata.name)}
      })
      outcome.ready = await waitForDeployments(cluster, targets, {timeoutMs: Math.max(0, deadlineAt - Date.now()), onProgress: (t, text) => progress(`deployment/${t.name}: ${text}`)})
    }
    return outcome
  } catch (error) {
    // Nothing half-applied: a namespace this run created for a deploy that failed validation goes too.
    if (!wrote) await Promise.all(createdNamespaces.map((ns) => deleteObject(cluster, {kind: 'Namespace', name: ns}).catch(() => {})))
    throw error
  }
}

function forbiddenAsWarning(error: unknown, warnings: string[], what: string): void {
  if ((error as {code?: string}).code !== 'FORBIDDEN') throw error
  warnings.push(`${what}: ${(error as Error).message}`)
}
