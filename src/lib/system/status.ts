// `kaos system status`: cluster, shared registry and every kaos workload's health.
import type {Cluster} from '../cluster/client.js'
import {readClusterRegistry} from '../cluster/registry-configmap.js'
import {serverVersion} from '../cluster/discovery.js'
import type {KaosError} from '../errors.js'
import type {Kind} from '../kinds.js'
import {type Registry, type RegistrySource, builtinRegistry} from '../registry.js'
import {isPinnedImage, stableStringify} from '../render/common.js'
import {type WorkloadStatus, type WorkloadSummary, listAllWorkloads, workloadHealth} from '../workloads.js'

export type {WorkloadHealth, WorkloadStatus} from '../workloads.js'


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
  const version = await serverVersion(cluster)
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
