// `kaos system uninstall`: remove what install created (and, when asked, every kaos workload).
import type {Cluster} from '../cluster/client.js'
import {getNamespace, waitNamespaceGone} from '../cluster/namespaces.js'
import {type ObjectRef, deleteObject} from '../cluster/objects.js'
import {getRegistryConfigMap} from '../cluster/registry-configmap.js'
import {foreignSystemObjects} from '../cluster/system-objects.js'
import type {KaosError} from '../errors.js'
import {REGISTRY_CONFIGMAP} from '../names.js'
import {type WorkloadSummary, deleteWorkload, listAllWorkloads, withoutDeployment} from '../workloads.js'
import {type SystemObjectResult, isSystemObject} from './common.js'


export interface UninstallResult {
  systemNamespace: string
  dryRun?: boolean
  workloads: WorkloadSummary[]
  deletedWorkloads: ObjectRef[]
  results: SystemObjectResult[]
  warnings: string[]
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
    workloads = (await listAllWorkloads(cluster)).map(withoutDeployment)
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

  const cm = await getRegistryConfigMap(cluster, ns)
  const cmRef = {kind: 'ConfigMap', name: REGISTRY_CONFIGMAP, namespace: ns}
  if (!cm) results.push({...cmRef, action: 'absent'})
  else if (!isSystemObject(cm)) results.push({...cmRef, action: 'kept', note: 'not labelled as created by kaos system install'})
  else {
    await deleteObject(cluster, cmRef, {dryRun: opts.dryRun})
    results.push({...cmRef, action: 'deleted'})
  }

  const nsObj = await getNamespace(cluster, ns)
  const nsRef = {kind: 'Namespace', name: ns}
  if (!nsObj) results.push({...nsRef, action: 'absent'})
  else if (!isSystemObject(nsObj)) results.push({...nsRef, action: 'kept', note: 'not created by kaos system install'})
  else {
    const foreign = await foreignSystemObjects(cluster, ns)
    if (foreign.length > 0) {
      const note = `still holds ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}`
      results.push({...nsRef, action: 'kept', note})
      warnings.push(`namespace ${ns} ${note}; kept it (delete it yourself with \`kubectl delete namespace ${ns}\`)`)
    } else {
      await deleteObject(cluster, nsRef, {dryRun: opts.dryRun})
      results.push({...nsRef, action: 'deleted'})
      if (opts.wait && !opts.dryRun) await waitNamespaceGone(cluster, ns, timeoutMs)
    }
  }
  return {systemNamespace: ns, ...(opts.dryRun ? {dryRun: true} : {}), workloads, deletedWorkloads, results, warnings}
}
