// The cluster's shared runtime registry: the ConfigMap `kaos-mcp-runtimes` that `kaos system
// install` writes and every kaos user of the cluster reads.
import {setTimeout as sleep} from 'node:timers/promises'

import {ExitCode, KaosError} from '../errors.js'
import {REGISTRY_CONFIGMAP, REGISTRY_KEY} from '../names.js'
import {type RegistrySource, parseRegistryYaml} from '../registry.js'
import type {Cluster} from './client.js'
import {getObject} from './objects.js'
import {objectPath} from './paths.js'

type ConfigMap = {metadata?: {labels?: Record<string, string>}; data?: Record<string, string>}

/** The registry ConfigMap itself, or undefined. */
export async function getRegistryConfigMap(cluster: Cluster, systemNamespace: string): Promise<ConfigMap | undefined> {
  return getObject<ConfigMap>(cluster, 'ConfigMap', REGISTRY_CONFIGMAP, systemNamespace)
}

/**
 * The in-cluster registry ConfigMap as a registry source, or none when it is absent. Not being
 * allowed to read it is not fatal: the user still has the built-in and file runtimes.
 */
export async function clusterRegistrySource(cluster: Cluster, systemNamespace: string, warnings: string[]): Promise<RegistrySource[]> {
  try {
    const text = (await getRegistryConfigMap(cluster, systemNamespace))?.data?.[REGISTRY_KEY]
    if (!text) return []
    return [parseRegistryYaml(text, `cluster:${systemNamespace}/${REGISTRY_CONFIGMAP}`)]
  } catch (error) {
    if ((error as KaosError).code === 'FORBIDDEN') {
      warnings.push(`cannot read the runtime registry ConfigMap ${systemNamespace}/${REGISTRY_CONFIGMAP} (forbidden); using local runtimes only`)
      return []
    }
    throw error
  }
}

export interface ClusterRegistryRead {
  configMap: string
  present: boolean
  source?: RegistrySource
  /** Why it could not be read (unreachable, forbidden, invalid). */
  error?: string
  /** The error's exit code, for callers that must fail on it. */
  exit?: number
}

/** Read and parse the registry ConfigMap with an optional deadline; never throws. */
export async function readClusterRegistry(cluster: Cluster, systemNamespace: string, opts: {timeoutMs?: number} = {}): Promise<ClusterRegistryRead> {
  const configMap = `${systemNamespace}/${REGISTRY_CONFIGMAP}`
  const signal = opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined
  let cm: ConfigMap | undefined
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

/** Until the namespace is Active and the ConfigMap reads back with `text`. */
export async function waitForRegistry(cluster: Cluster, ns: string, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [n, cm] = await Promise.all([getObject(cluster, 'Namespace', ns), getRegistryConfigMap(cluster, ns)])
    if (n?.status?.phase === 'Active' && cm?.data?.[REGISTRY_KEY] === text) return
    if (Date.now() > deadline) throw new KaosError(`timed out waiting for ${ns}/${REGISTRY_CONFIGMAP} to be readable`, {exit: ExitCode.WAIT_TIMEOUT})
    await sleep(500)
  }
}

/**
 * The cluster's registry as a source when it can be read within a short time; nothing otherwise.
 * For commands where the cluster's registry only refines the answer (images list).
 */
export async function clusterSourcesQuietly(cluster: Cluster, systemNamespace: string): Promise<RegistrySource[]> {
  const read = await readClusterRegistry(cluster, systemNamespace, {timeoutMs: 3000})
  return read.source && !read.error ? [read.source] : []
}
