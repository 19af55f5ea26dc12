// `kaos system install | uninstall | status | create-rbac`: the logic, free of oclif, so the
// commands stay thin and tests can call it directly.
import {setTimeout as sleep} from 'node:timers/promises'
import {Document} from 'yaml'

import {applyAll, deleteObject, type ObjectRef} from './cluster/apply.js'
import type {Cluster} from './cluster/client.js'
import {discoverResources, resolveResource, type ResolvedResource} from './cluster/discovery.js'
import {collectionPath, objectPath} from './cluster/resources.js'
import {REGISTRY_CONFIGMAP, REGISTRY_KEY} from './cluster/state.js'
import {podProblem, problemText} from './cluster/wait.js'
import {KINDS, type Kind} from './documents.js'
import {ExitCode, KaosError} from './errors.js'
import {DEFAULT_RESOURCES, LABEL_RBAC_FOR, LABEL_RBAC_NAMESPACE, type RbacPlan, planRbac} from './rbac.js'
import {type Registry, type RegistrySource, builtinRegistry, loadRegistryFile, mergeRegistry, parseRegistryYaml, registryToYamlDoc} from './registry.js'
import {isPinnedImage, type KubernetesObject, LABEL_KIND, LABEL_MANAGED_BY, MANAGED_BY, selectorLabels, stableStringify} from './render/common.js'
import {type WorkloadSummary, deleteWorkload, summarize} from './workloads.js'

export const DEFAULT_SYSTEM_NAMESPACE = 'kaos-system'
/** Marks the objects `kaos system install` made, so uninstall removes those and nothing else. */
export const LABEL_COMPONENT = 'kaos.tools/component'
export const SYSTEM_COMPONENT = 'system'

const systemLabels = {[LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_COMPONENT]: SYSTEM_COMPONENT}

function isSystemObject(o: {metadata?: {labels?: Record<string, string>}} | undefined): boolean {
  return o?.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY && o?.metadata?.labels?.[LABEL_COMPONENT] === SYSTEM_COMPONENT
}

// ---------------------------------------------------------------------------------------------
// install

/** The registry install puts in the cluster: the built-in one merged with the given files (not the user's personal file, not plugins). */
export function installRegistry(files: string[] = []): Registry {
  return mergeRegistry([builtinRegistry(), ...files.map((f) => loadRegistryFile(f))])
}

/** Drop values the schema defaults anyway, so the ConfigMap reads like the seed file. */
function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(compact)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined || x === '' || (Array.isArray(x) && x.length === 0) || (x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0)) continue
      if (k === 'serviceAccount' && x === 'optional') continue
      out[k] = compact(x)
    }
    return out
  }
  return v
}

/** The ConfigMap's `runtimes.yaml`: seed format, runtimes sorted by name, deterministic. */
export function registryConfigMapYaml(reg: Registry): string {
  const {runtimes, defaults} = registryToYamlDoc(reg)
  const sorted = Object.fromEntries(Object.keys(runtimes).sort().map((k) => [k, compact(runtimes[k])]))
  const doc = new Document({runtimes: sorted, defaults})
  doc.commentBefore = ' kaos runtime registry, written by `kaos system install`. Every kaos user of this cluster sees these runtimes\n (they sit above local registry files). Change it by re-running install with --registry FILE.'
  return doc.toString({lineWidth: 0})
}

/** Namespace and ConfigMap, labelled as kaos's system objects. Pure. */
export function installObjects(systemNamespace: string, reg: Registry): KubernetesObject[] {
  return [
    {apiVersion: 'v1', kind: 'Namespace', metadata: {name: systemNamespace, labels: {...systemLabels}}},
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {name: REGISTRY_CONFIGMAP, namespace: systemNamespace, labels: {...systemLabels}},
      data: {[REGISTRY_KEY]: registryConfigMapYaml(reg)},
    },
  ]
}

export interface SystemObjectResult extends ObjectRef {
  action: 'created' | 'configured' | 'unchanged' | 'deleted' | 'absent' | 'kept'
  /** Why it was kept or left alone. */
  note?: string
}

export interface InstallResult {
  systemNamespace: string
  dryRun?: 'client' | 'server'
  runtimes: string[]
  objects: KubernetesObject[]
  results: SystemObjectResult[]
  warnings: string[]
}

/**
 * Server-side apply the namespace and the registry ConfigMap. A namespace that exists and that
 * kaos did not create is used as it is, never relabelled. Idempotent: a second run is unchanged.
 */
export async function install(cluster: Cluster, opts: {systemNamespace: string; files?: string[]; dryRun?: boolean; wait?: boolean; timeoutMs?: number}): Promise<InstallResult> {
  const reg = installRegistry(opts.files)
  const [nsObj, cmObj] = installObjects(opts.systemNamespace, reg)
  const warnings: string[] = []
  const results: SystemObjectResult[] = []
  const existingNs = await cluster.get(objectPath('Namespace', opts.systemNamespace))
  if (existingNs?.metadata?.deletionTimestamp)
    throw new KaosError(`namespace "${opts.systemNamespace}" is being deleted; wait until it is gone and run install again`, {exit: ExitCode.CONFLICT})
  if (existingNs && !isSystemObject(existingNs)) {
    results.push({kind: 'Namespace', name: opts.systemNamespace, action: 'unchanged', note: 'exists and is not managed by kaos; left as it is'})
  } else {
    results.push(...(await applyAll(cluster, [nsObj], {dryRun: opts.dryRun})))
  }
  if (!existingNs && opts.dryRun) {
    // The namespace is not there yet, so the server cannot dry-run an object inside it.
    results.push({kind: 'ConfigMap', name: REGISTRY_CONFIGMAP, namespace: opts.systemNamespace, action: 'created'})
  } else {
    results.push(...(await applyAll(cluster, [cmObj], {dryRun: opts.dryRun})))
  }
  if (opts.wait && !opts.dryRun) await waitForRegistry(cluster, opts.systemNamespace, (cmObj.data as Record<string, string>)[REGISTRY_KEY], opts.timeoutMs ?? 60_000)
  return {systemNamespace: opts.systemNamespace, ...(opts.dryRun ? {dryRun: 'server' as const} : {}), runtimes: [...reg.runtimes.keys()].sort(), objects: [nsObj, cmObj], results, warnings}
}

/** Until the namespace is Active and the ConfigMap reads back with the written registry. */
async function waitForRegistry(cluster: Cluster, ns: string, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const n = await cluster.get(objectPath('Namespace', ns))
    const cm = await cluster.get(objectPath('ConfigMap', REGISTRY_CONFIGMAP, ns))
    if (n?.status?.phase === 'Active' && cm?.data?.[REGISTRY_KEY] === text) return
    if (Date.now() > deadline) throw new KaosError(`timed out waiting for ${ns}/${REGISTRY_CONFIGMAP} to be readable`, {exit: ExitCode.WAIT_TIMEOUT})
    await sleep(500)
  }
}

// ---------------------------------------------------------------------------------------------
// cluster registry, read with a deadline (for `system runtimes`, which must stay quick offline)

export interface ClusterRegistryRead {
  configMap: string
  present: boolean
  source?: RegistrySource
  /** Why it could not be read (unreachable, forbidden, invalid). */
  error?: string
  /** The error's exit code, for callers that must fail on it. */
  exit?: number
}

/** Read and parse the registry ConfigMap; never throws. */
export async function readClusterRegistry(cluster: Cluster, systemNamespace: string, opts: {timeoutMs?: number} = {}): Promise<ClusterRegistryRead> {
  const configMap = `${systemNamespace}/${REGISTRY_CONFIGMAP}`
  const signal = opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined
  let cm: {data?: Record<string, string>} | undefined
  try {
    cm = await cluster.request('GET', objectPath('ConfigMap', REGISTRY_CONFIGMAP, systemNamespace), {allow404: true, signal})
  } catch (error) {
    const e = error as Error & {exit?: number; code?: string}
    if (e.name === 'AbortError' || e.name === 'TimeoutError')
      return {configMap, present: false, error: `the API server at ${cluster.server} did not answer within ${opts.timeoutMs} ms`, exit: ExitCode.CLUSTER_UNREACHABLE}
    return {configMap, present: false, error: e.message, exit: e.exit ?? ExitCode.UNEXPECTED}
  }
  if (!cm) return {configMap, present: false}
  const text = cm.data?.[REGISTRY_KEY]
  if (!text) return {configMap, present: true, source: {origin: `cluster:${configMap}`, runtimes: {}}}
  try {
    return {configMap, present: true, source: parseRegistryYaml(text, `cluster:${configMap}`)}
  } catch (error) {
    return {configMap, present: true, error: (error as Error).message, exit: ExitCode.INVALID_INPUT}
  }
}

// ---------------------------------------------------------------------------------------------
// uninstall

export interface UninstallResult {
  systemNamespace: string
  dryRun?: boolean
  workloads: WorkloadSummary[]
  deletedWorkloads: ObjectRef[]
  results: SystemObjectResult[]
  warnings: string[]
}

/** Every kaos workload (MCPServer, Agent, ModelAPI) in every namespace, from their Deployments. */
export async function listAllWorkloads(cluster: Cluster, namespace?: string): Promise<Array<WorkloadSummary & {deployment: any}>> {
  const list = await cluster.request<{items: any[]}>('GET', collectionPath('Deployment', namespace), {query: {labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_KIND}`}})
  return list.items
    .filter((d) => (KINDS as readonly string[]).includes(d.metadata?.labels?.[LABEL_KIND]))
    .map((d) => ({...summarize(d.metadata.labels[LABEL_KIND] as Kind, d), deployment: d}))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
}

const stripDeployment = ({deployment: _d, ...w}: WorkloadSummary & {deployment?: unknown}): WorkloadSummary => w

/** What else lives in the system namespace besides what install put there and Kubernetes adds. */
async function foreignObjects(cluster: Cluster, ns: string): Promise<string[]> {
  const out: string[] = []
  for (const kind of ['Deployment', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount']) {
    const list = await cluster.request<{items: any[]}>('GET', collectionPath(kind, ns))
    for (const o of list.items) {
      if (o.metadata?.deletionTimestamp) continue
      const name = o.metadata.name
      if (kind === 'ConfigMap' && (name === 'kube-root-ca.crt' || name === REGISTRY_CONFIGMAP)) continue
      if (kind === 'ServiceAccount' && name === 'default') continue
      if (kind === 'Secret' && o.type === 'kubernetes.io/service-account-token') continue
      out.push(`${kind.toLowerCase()}/${name}`)
    }
  }
  return out
}

/**
 * Remove what install created: the registry ConfigMap and, when kaos made it and nothing else
 * lives in it, the system namespace. With `allWorkloads`, first every kaos workload in every
 * namespace, once `confirm` (given the list) agrees.
 */
export async function uninstall(
  cluster: Cluster,
  opts: {systemNamespace: string; allWorkloads?: boolean; dryRun?: boolean; wait?: boolean; timeoutMs?: number; confirm: (workloads: WorkloadSummary[]) => Promise<void>},
): Promise<UninstallResult> {
  const ns = opts.systemNamespace
  const warnings: string[] = []
  const results: SystemObjectResult[] = []
  const timeoutMs = opts.timeoutMs ?? 120_000
  let workloads: WorkloadSummary[] = []
  const deletedWorkloads: ObjectRef[] = []
  if (opts.allWorkloads) {
    workloads = (await listAllWorkloads(cluster)).map(stripDeployment)
    if (workloads.length > 0) {
      await opts.confirm(workloads)
      for (const w of workloads) {
        if (opts.dryRun) continue
        deletedWorkloads.push(...(await deleteWorkload(cluster, w.kind, w.name, w.namespace, {ignoreNotFound: true, wait: opts.wait, timeoutMs})))
      }
    }
  } else {
    try {
      const left = await listAllWorkloads(cluster)
      if (left.length > 0) warnings.push(`${left.length} kaos workload${left.length === 1 ? ' keeps' : 's keep'} running (${left.slice(0, 3).map((w) => `${w.kind} ${w.namespace}/${w.name}`).join(', ')}${left.length > 3 ? ', …' : ''}); pass --all-workloads to delete them too`)
    } catch (error) {
      if ((error as KaosError).code !== 'FORBIDDEN') throw error
    }
  }

  const cm = await cluster.get(objectPath('ConfigMap', REGISTRY_CONFIGMAP, ns))
  const cmRef = {kind: 'ConfigMap', name: REGISTRY_CONFIGMAP, namespace: ns}
  if (!cm) results.push({...cmRef, action: 'absent'})
  else if (!isSystemObject(cm)) results.push({...cmRef, action: 'kept', note: 'not labelled as created by kaos system install'})
  else {
    await deleteObject(cluster, cmRef, {dryRun: opts.dryRun})
    results.push({...cmRef, action: 'deleted'})
  }

  const nsObj = await cluster.get(objectPath('Namespace', ns))
  const nsRef = {kind: 'Namespace', name: ns}
  if (!nsObj) results.push({...nsRef, action: 'absent'})
  else if (!isSystemObject(nsObj)) results.push({...nsRef, action: 'kept', note: 'not created by kaos system install'})
  else {
    const foreign = await foreignObjects(cluster, ns)
    if (foreign.length > 0) {
      const note = `still holds ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}`
      results.push({...nsRef, action: 'kept', note})
      warnings.push(`namespace ${ns} ${note}; kept it (delete it yourself with \`kubectl delete namespace ${ns}\`)`)
    } else {
      await deleteObject(cluster, nsRef, {dryRun: opts.dryRun})
      results.push({...nsRef, action: 'deleted'})
      if (opts.wait && !opts.dryRun) await waitGone(cluster, objectPath('Namespace', ns), `namespace ${ns}`, timeoutMs)
    }
  }
  return {systemNamespace: ns, ...(opts.dryRun ? {dryRun: true} : {}), workloads, deletedWorkloads, results, warnings}
}

async function waitGone(cluster: Cluster, path: string, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (await cluster.get(path)) {
    if (Date.now() > deadline) throw new KaosError(`timed out waiting for ${what} to be deleted`, {exit: ExitCode.WAIT_TIMEOUT, suggestions: ['Namespaces go only when everything in them is gone; check `kubectl get all -n NAMESPACE`.']})
    await sleep(1000)
  }
}

// ---------------------------------------------------------------------------------------------
// status

export type WorkloadHealth = 'Ready' | 'NotReady' | 'Failing'

export interface WorkloadStatus extends WorkloadSummary {
  health: WorkloadHealth
  /** The first problem of a workload that is not ready. */
  problem?: string
}

export interface StatusReport {
  cluster: {server: string; context: string; namespace: string; user: string; reachable: boolean; version?: string; platform?: string}
  registry: {
    configMap: string
    present: boolean
    runtimes: string[]
    /** ConfigMap runtimes that differ from the built-in entry of the same name. */
    overridesBuiltin: string[]
    /** ConfigMap runtimes identical to the built-in entry. */
    sameAsBuiltin: string[]
    /** ConfigMap runtimes the built-in registry does not have. */
    added: string[]
    error?: string
  }
  workloads: WorkloadStatus[]
  /** Per kind and namespace: how many, how many ready, how many failing. */
  summary: Array<{kind: Kind; namespace: string; total: number; ready: number; failing: number}>
  warnings: string[]
  /** False when a workload is failing (exit 5). */
  healthy: boolean
}

/** The first problem of a Deployment's own conditions (quota, missing service account, deadline). */
export function deploymentProblem(d: any): string | undefined {
  for (const c of d?.status?.conditions ?? []) {
    if (c.type === 'ReplicaFailure' && c.status === 'True') return `${c.reason ?? 'ReplicaFailure'}: ${c.message ?? ''}`.trim()
    if (c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') return `ProgressDeadlineExceeded: ${c.message ?? ''}`.trim()
  }
  return undefined
}

/** Health of one workload: Ready, Failing (a problem that will not heal) or NotReady (still coming up). */
export async function workloadHealth(cluster: Cluster, w: WorkloadSummary & {deployment: any}): Promise<WorkloadStatus> {
  const base = stripDeployment(w)
  if (w.readyReplicas >= w.replicas && (w.deployment.status?.updatedReplicas ?? w.replicas) >= w.replicas) return {...base, health: 'Ready'}
  const dp = deploymentProblem(w.deployment)
  if (dp) return {...base, health: 'Failing', problem: dp}
  const sel = Object.entries(selectorLabels(w.kind, w.name)).map(([k, v]) => `${k}=${v}`).join(',')
  const pods = await cluster.request<{items: any[]}>('GET', collectionPath('Pod', w.namespace), {query: {labelSelector: sel}})
  for (const p of pods.items) {
    if (p.metadata?.deletionTimestamp) continue
    const problem = podProblem(p)
    if (problem) return {...base, health: 'Failing', problem: problemText(problem)}
  }
  const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp)
  const why = live.length === 0 ? 'no pods yet' : `${w.readyReplicas}/${w.replicas} pods ready (${live.map((p) => `${p.metadata.name}: ${p.status?.phase ?? 'Unknown'}`).join(', ')})`
  return {...base, health: 'NotReady', problem: why}
}

/** Registry warnings for images that are not pinned to a version. */
export function unpinnedImageWarnings(reg: Registry): string[] {
  const out: string[] = []
  for (const r of [...reg.runtimes.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (r.image && !isPinnedImage(r.image)) out.push(`runtime "${r.name}" (${r.origin}) uses image "${r.image}" without a pinned tag: two deploys may run different code`)
  }
  const d = reg.defaults
  for (const [what, img] of [['agent', d.agent.image], ['modelAPI proxy', d.modelAPI.proxy.image], ['modelAPI hosted', d.modelAPI.hosted.image]] as const) {
    if (img && !isPinnedImage(img)) out.push(`default ${what} image "${img}" has no pinned tag`)
  }
  return out
}

/** Compare the ConfigMap's runtimes with the built-in ones. */
export function compareWithBuiltin(source: RegistrySource | undefined): Pick<StatusReport['registry'], 'runtimes' | 'overridesBuiltin' | 'sameAsBuiltin' | 'added'> {
  const builtin = builtinRegistry().runtimes
  const names = Object.keys(source?.runtimes ?? {}).sort()
  const overridesBuiltin: string[] = []
  const sameAsBuiltin: string[] = []
  const added: string[] = []
  for (const n of names) {
    if (!builtin[n]) added.push(n)
    else if (stableStringify(builtin[n]) === stableStringify(source!.runtimes[n])) sameAsBuiltin.push(n)
    else overridesBuiltin.push(n)
  }
  return {runtimes: names, overridesBuiltin, sameAsBuiltin, added}
}

/**
 * Everything `kaos system status` reports. Throws exit 3 when the API server cannot be reached;
 * the caller decides the exit code from `healthy`.
 */
export async function status(cluster: Cluster, opts: {systemNamespace: string; registry: (cluster: RegistrySource[]) => Promise<Registry>}): Promise<StatusReport> {
  const warnings: string[] = []
  const version = await cluster.request<{gitVersion?: string; platform?: string}>('GET', '/version')
  const reg = await readClusterRegistry(cluster, opts.systemNamespace)
  if (reg.error) warnings.push(`registry ConfigMap ${reg.configMap}: ${reg.error}`)
  if (!reg.present && !reg.error) warnings.push(`no registry ConfigMap ${reg.configMap}: users of this cluster see only their local runtimes (run \`kaos system install\`)`)
  const registry = await opts.registry(reg.source ? [reg.source] : [])
  warnings.push(...registry.warnings, ...unpinnedImageWarnings(registry))

  let raw: Array<WorkloadSummary & {deployment: any}>
  try {
    // -n given: that namespace only (e.g. a CI job checking its own); else every namespace.
    raw = await listAllWorkloads(cluster, cluster.namespaceExplicit ? cluster.namespace : undefined)
  } catch (error) {
    if ((error as KaosError).code !== 'FORBIDDEN') throw error
    warnings.push(`cannot list workloads in all namespaces (forbidden); showing namespace ${cluster.namespace} only`)
    raw = await listAllWorkloads(cluster, cluster.namespace)
  }
  const workloads = await Promise.all(raw.map((w) => workloadHealth(cluster, w)))
  const summary = new Map<string, StatusReport['summary'][number]>()
  for (const w of workloads) {
    const key = `${w.kind}/${w.namespace}`
    const s = summary.get(key) ?? {kind: w.kind, namespace: w.namespace, total: 0, ready: 0, failing: 0}
    s.total++
    if (w.health === 'Ready') s.ready++
    if (w.health === 'Failing') s.failing++
    summary.set(key, s)
  }
  return {
    cluster: {server: cluster.server, context: cluster.contextName, namespace: cluster.namespace, user: cluster.userName, reachable: true, version: version?.gitVersion, ...(version?.platform ? {platform: version.platform} : {})},
    registry: {configMap: reg.configMap, present: reg.present, ...compareWithBuiltin(reg.source), ...(reg.error ? {error: reg.error} : {})},
    workloads,
    summary: [...summary.values()],
    warnings,
    healthy: workloads.every((w) => w.health !== 'Failing'),
  }
}

// ---------------------------------------------------------------------------------------------
// create-rbac

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

const RBAC_KINDS = ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'] as const

/** Resolve the resources, plan, apply with server-side apply, prune what an earlier run granted beyond this one. */
export async function createRbac(cluster: Cluster, opts: CreateRbacOptions): Promise<CreateRbacResult> {
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

  for (const ns of [...new Set([plan.namespace, ...plan.namespaces])]) {
    if (!(await cluster.get(objectPath('Namespace', ns))))
      throw new KaosError(`namespace "${ns}" does not exist`, {exit: ExitCode.NOT_FOUND, suggestions: ['Create it first (e.g. `kubectl create namespace NAME`, or deploy the MCPServer with --create-namespace).']})
  }
  // An existing service account is left alone: `kaos mcp deploy` may own it with the workload's labels.
  const [sa, ...rbac] = plan.objects
  const results: SystemObjectResult[] = []
  const existingSa = await cluster.get(objectPath('ServiceAccount', sa.metadata.name, sa.metadata.namespace))
  const toApply = existingSa ? rbac : plan.objects
  if (existingSa) results.push({kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace, action: 'unchanged', note: 'exists; left as it is'})
  results.push(...(await applyAll(cluster, toApply, {dryRun: opts.dryRun === 'server'})))

  // Prune: Roles/bindings an earlier run made for this service account that this plan does not have.
  const wanted = new Set(rbac.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`))
  const selector = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_RBAC_FOR}=${plan.serviceAccountName},${LABEL_RBAC_NAMESPACE}=${plan.namespace}`
  const pruned: ObjectRef[] = []
  for (const kind of RBAC_KINDS) {
    let items: any[] = []
    try {
      items = (await cluster.request<{items: any[]}>('GET', collectionPath(kind), {query: {labelSelector: selector}})).items
    } catch (error) {
      if ((error as KaosError).code !== 'FORBIDDEN') throw error
      warnings.push(`cannot list ${kind}s cluster-wide (forbidden): grants from earlier runs in other namespaces were not checked`)
      continue
    }
    for (const o of items) {
      const ref = {kind, name: o.metadata.name, ...(o.metadata.namespace ? {namespace: o.metadata.namespace} : {})}
      if (wanted.has(`${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)) continue
      await deleteObject(cluster, ref, {dryRun: opts.dryRun === 'server'})
      pruned.push(ref)
    }
  }
  return {...base, ...(opts.dryRun ? {dryRun: opts.dryRun} : {}), results, pruned}
}
