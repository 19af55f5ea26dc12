// `kaos system create-rbac`: least-privilege RBAC for an MCP server that talks to the cluster.
import {applyAll} from '../cluster/apply.js'
import type {Cluster} from '../cluster/client.js'
import {discoverResources, resolveResource, type ResolvedResource} from '../cluster/discovery.js'
import {missingNamespaces} from '../cluster/namespaces.js'
import {type ObjectRef, deleteObject, getObject, refKey} from '../cluster/objects.js'
import {listRbacObjects} from '../cluster/system-objects.js'
import {ExitCode, KaosError} from '../errors.js'
import {LABEL_MANAGED_BY, LABEL_RBAC_FOR, LABEL_RBAC_NAMESPACE, MANAGED_BY} from '../names.js'
import type {KubernetesObject} from '../render/common.js'
import type {SystemObjectResult} from './common.js'
import {DEFAULT_RESOURCES, type RbacPlan, planRbac} from './rbac-plan.js'


export interface CreateRbacOptions {
  name: string
  namespace: string
  namespaces?: string[]
  /** Resource names as typed; default DEFAULT_RESOURCES (those the cluster serves). */
  resources?: string[]
  verbs?: string[]
  readOnly?: boolean
  clusterWide?: boolean
  /** client: plan only (discovery is still read); server: validate with the API server. */
  dryRun?: 'client' | 'server'
}

export interface CreateRbacResult {
  serviceAccountName: string
  namespace: string
  scope: RbacPlan['scope']
  namespaces: string[]
  rules: RbacPlan['rules']
  resources: Array<{input: string; resource: string; group: string; namespaced: boolean}>
  objects: KubernetesObject[]
  dryRun?: 'client' | 'server'
  results: SystemObjectResult[]
  /** Objects an earlier create-rbac for the same service account made that this one no longer wants. */
  pruned: ObjectRef[]
  warnings: string[]
}

/**
 * The plan for `opts` with resources resolved through the cluster's discovery (the defaults the
 * cluster serves when none are named; pods/log for read-only). Applies nothing.
 */
export async function planRbacFromCluster(cluster: Cluster, opts: Omit<CreateRbacOptions, 'dryRun'>): Promise<{plan: RbacPlan; resources: ResolvedResource[]; warnings: string[]}> {
  const warnings: string[] = []
  const discovered = await discoverResources(cluster, warnings)
  let resources: ResolvedResource[]
  if (opts.resources && opts.resources.length > 0) resources = opts.resources.map((r) => resolveResource(discovered, r))
  else {
    resources = []
    for (const r of DEFAULT_RESOURCES) {
      try {
        resources.push(resolveResource(discovered, r))
      } catch {
        // A default the cluster does not serve is simply not granted.
      }
    }
  }
  let podsLog: ResolvedResource | undefined
  if (opts.readOnly) {
    try {
      podsLog = resolveResource(discovered, 'pods/log')
    } catch {
      warnings.push('the cluster serves no pods/log subresource; --read-only grants no log access')
    }
  }
  const plan = planRbac({name: opts.name, namespace: opts.namespace, namespaces: opts.namespaces, resources, verbs: opts.verbs, readOnly: opts.readOnly, clusterWide: opts.clusterWide, podsLog})
  warnings.push(...plan.warnings)
  return {plan, resources, warnings}
}

/** Resolve the resources, plan, apply with server-side apply, prune what an earlier run granted beyond this one. */
export async function createRbac(cluster: Cluster, opts: CreateRbacOptions): Promise<CreateRbacResult> {
  const {plan, resources, warnings} = await planRbacFromCluster(cluster, opts)
  const base = {
    serviceAccountName: plan.serviceAccountName,
    namespace: plan.namespace,
    scope: plan.scope,
    namespaces: plan.namespaces,
    rules: plan.rules,
    resources: resources.map((r) => ({input: r.input, resource: r.name, group: r.group, namespaced: r.namespaced})),
    objects: plan.objects,
    warnings,
  }
  if (opts.dryRun === 'client') return {...base, dryRun: 'client', results: [], pruned: []}

  const missing = await missingNamespaces(cluster, [...new Set([plan.namespace, ...plan.namespaces])])
  if (missing.length > 0)
    throw new KaosError(`namespace "${missing[0]}" does not exist`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: ['Create it first (e.g. `kubectl create namespace NAME`, or deploy the MCPServer with --create-namespace).'],
    })
  // An existing service account is left alone: `kaos mcp deploy` may own it with the workload's labels.
  const [sa, ...rbac] = plan.objects
  // What an earlier run granted is read before this one applies (never reading back our own write).
  const selector = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_RBAC_FOR}=${plan.serviceAccountName},${LABEL_RBAC_NAMESPACE}=${plan.namespace}`
  const [existingSa, earlier] = await Promise.all([getObject(cluster, 'ServiceAccount', sa.metadata.name, sa.metadata.namespace), listRbacObjects(cluster, selector)])
  for (const kind of earlier.forbidden) warnings.push(`cannot list ${kind}s cluster-wide (forbidden): grants from earlier runs in other namespaces were not checked`)
  const results: SystemObjectResult[] = []
  const toApply = existingSa ? rbac : plan.objects
  if (existingSa) results.push({kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace, action: 'unchanged', note: 'exists; left as it is'})
  results.push(...(await applyAll(cluster, toApply, {dryRun: opts.dryRun === 'server'})))

  // Prune: Roles/bindings an earlier run made for this service account that this plan does not have.
  const wanted = new Set(rbac.map((o) => refKey({kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace})))
  const pruned: ObjectRef[] = earlier.objects.filter((r) => !wanted.has(refKey(r)))
  await Promise.all(pruned.map((r) => deleteObject(cluster, r, {dryRun: opts.dryRun === 'server'})))
  return {...base, ...(opts.dryRun ? {dryRun: opts.dryRun} : {}), results, pruned}
}
