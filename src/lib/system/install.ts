// `kaos system install`: the cluster-wide runtime registry.
import {Document} from 'yaml'

import {applyAll} from '../cluster/apply.js'
import type {Cluster} from '../cluster/client.js'
import {getNamespace} from '../cluster/namespaces.js'
import {waitForRegistry} from '../cluster/registry-configmap.js'
import {ExitCode, KaosError} from '../errors.js'
import {REGISTRY_CONFIGMAP, REGISTRY_KEY} from '../names.js'
import {type Registry, builtinRegistry, loadRegistryFile, mergeRegistry, parseRegistry, registryToYamlDoc} from '../registry.js'
import type {KubernetesObject} from '../render/common.js'
import {type SystemObjectResult, isSystemObject, systemLabels} from './common.js'


/** The registry install puts in the cluster: the built-in one merged with the given files (not the user's personal file, not plugins). */
export function installRegistry(files: string[] = [], imageRegistry?: string): Registry {
  const flag = imageRegistry ? [parseRegistry({defaults: {imageRegistry}}, 'flag:--image-registry')] : []
  return mergeRegistry([builtinRegistry(), ...files.map((f) => loadRegistryFile(f)), ...flag])
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
export async function install(cluster: Cluster, opts: {systemNamespace: string; files?: string[]; imageRegistry?: string; dryRun?: boolean; wait?: boolean; timeoutMs?: number}): Promise<InstallResult> {
  const reg = installRegistry(opts.files, opts.imageRegistry)
  const [nsObj, cmObj] = installObjects(opts.systemNamespace, reg)
  const warnings: string[] = []
  const results: SystemObjectResult[] = []
  const existingNs = await getNamespace(cluster, opts.systemNamespace)
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
