// The cluster side of `kaos samples`: the RBAC a sample needs (planned from the cluster's
// discovery, like `kaos system create-rbac --read-only`), and deleting a sample with what
// `samples deploy` added to it.
import {Cluster} from './cluster/client.js'
import {type ObjectRef, deleteObject} from './cluster/objects.js'
import {listSampleObjects} from './cluster/sample-objects.js'
import {type DeleteDocumentsOptions, type DeleteDocumentsOutcome, deleteDocumentsIn} from './delete.js'
import {REPORT_GRACE_MS} from './deploy.js'
import type {Manifests} from './documents.js'
import {parseDuration} from './duration.js'
import {LABEL_SAMPLE} from './names.js'
import type {KubernetesObject} from './render/common.js'
import type {Sample} from './samples.js'
import {planRbacFromCluster} from './system/create-rbac.js'

/**
 * The Role and RoleBinding that give a sample's MCP server read-only access to its namespace:
 * `kaos system create-rbac NAME --read-only`'s plan, without its ServiceAccount (the MCPServer's
 * render has that), labelled as the sample's.
 */
export async function sampleRbac(cluster: Cluster, sample: Sample): Promise<{objects: KubernetesObject[]; warnings: string[]}> {
  if (!sample.readOnlyRbacFor) return {objects: [], warnings: []}
  const {plan, warnings} = await planRbacFromCluster(cluster, {name: sample.readOnlyRbacFor, namespace: cluster.namespace, readOnly: true})
  const objects = plan.objects
    .filter((o) => o.kind !== 'ServiceAccount')
    .map((o) => ({...o, metadata: {...o.metadata, labels: {...o.metadata.labels, [LABEL_SAMPLE]: sample.name}}}))
  return {objects, warnings}
}

export interface DeleteSampleOutcome extends DeleteDocumentsOutcome {
  /** The Secret and RBAC `samples deploy` added. */
  extras: ObjectRef[]
}

/** The sample's workloads (as `kaos delete -f` deletes them), then the objects `samples deploy` added. */
export async function deleteSample(sample: Sample, manifests: Manifests, opts: DeleteDocumentsOptions): Promise<DeleteSampleOutcome> {
  const timeoutMs = parseDuration(opts.timeout ?? '2m')
  const cluster = Cluster.connect({...opts, deadline: AbortSignal.timeout(timeoutMs + REPORT_GRACE_MS)})
  const outcome = await deleteDocumentsIn(cluster, manifests.docs, manifests.namespaces, {...opts, timeoutMs})
  const extras = await listSampleObjects(cluster, sample.name, cluster.namespace)
  const existed = await Promise.all(extras.map((r) => deleteObject(cluster, r)))
  const deleted = extras.filter((_, i) => existed[i])
  for (const r of deleted) opts.onDeleted?.(r)
  return {...outcome, extras: deleted}
}
