// The objects `kaos samples deploy` adds to a sample's own documents (its Secret, its RBAC), found
// by the sample label so that `kaos samples delete` removes them with the workloads.
import {LABEL_MANAGED_BY, LABEL_SAMPLE, MANAGED_BY} from '../names.js'
import type {Cluster} from './client.js'
import {type ObjectRef, listObjects} from './objects.js'

/** The kinds a sample may add, in the order they are deleted. */
export const SAMPLE_OBJECT_KINDS = ['RoleBinding', 'Role', 'Secret']

/** Objects of those kinds in `namespace` carrying kaos's label for `sample` (listed together). */
export async function listSampleObjects(cluster: Cluster, sample: string, namespace: string): Promise<ObjectRef[]> {
  const labelSelector = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_SAMPLE}=${sample}`
  const lists = await Promise.all(SAMPLE_OBJECT_KINDS.map((kind) => listObjects(cluster, kind, {namespace, labelSelector})))
  return SAMPLE_OBJECT_KINDS.flatMap((kind, i) => lists[i].map((o) => ({kind, name: o.metadata.name, namespace})))
}
