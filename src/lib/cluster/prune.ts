// Pruning, ApplySet-style: what an earlier deploy of the same workloads created and this render no
// longer has. The candidates are read *before* applying (kubectl's ApplySet pruner never reads
// back its own write): afterwards the Deployment's inventory annotation is already the new one,
// and an object whose labels were edited by hand would be found by neither labels nor inventory.
import {ANNOTATION_INVENTORY, LABEL_KIND, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY} from '../names.js'
import type {KubernetesObject} from '../render/common.js'
import {type LiveObjects, refOf} from './apply.js'
import type {Cluster} from './client.js'
import {type ObjectRef, listOwnedKind, refKey} from './objects.js'
import {OWNED_KINDS} from './paths.js'

interface Workload {
  kind: string
  name: string
  namespace: string
}

function workloadsOf(objects: KubernetesObject[]): Workload[] {
  const out = new Map<string, Workload>()
  for (const o of objects) {
    const kind = o.metadata.labels?.[LABEL_KIND]
    const name = o.metadata.labels?.[LABEL_NAME]
    if (kind && name && o.metadata.namespace) out.set(`${kind}/${o.metadata.namespace}/${name}`, {kind, name, namespace: o.metadata.namespace})
  }
  return [...out.values()]
}

/**
 * Objects of the owned kinds carrying the labels of the workloads in `objects`: one list per kind
 * and namespace, all at once. Read before applying, with `inventoryCandidates` of the live state.
 */
export async function listPruneCandidates(cluster: Cluster, objects: KubernetesObject[]): Promise<ObjectRef[]> {
  const workloads = workloadsOf(objects)
  const wanted = new Set(workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`))
  const out: ObjectRef[] = []
  const namespaces = [...new Set(workloads.map((w) => w.namespace))]
  const lists = await Promise.all(
    namespaces.flatMap((namespace) => {
      const names = [...new Set(workloads.filter((w) => w.namespace === namespace).map((w) => w.name))]
      const labelSelector = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_NAME} in (${names.join(',')})`
      return OWNED_KINDS.map(async (kind) => ({kind, namespace, items: await listOwnedKind<KubernetesObject>(cluster, kind, {namespace, labelSelector})}))
    }),
  )
  for (const {kind, namespace, items} of lists) {
    for (const item of items) {
      const l = item.metadata.labels ?? {}
      if (wanted.has(`${l[LABEL_KIND]}/${namespace}/${l[LABEL_NAME]}`)) out.push({kind, name: item.metadata.name, namespace})
    }
  }
  return out
}

/**
 * The entries of the inventory recorded on each workload's live Deployment (`live`, read before
 * applying): found even when their labels were edited away. Pure.
 */
export function inventoryCandidates(objects: KubernetesObject[], live: LiveObjects): ObjectRef[] {
  const out: ObjectRef[] = []
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue
    const inventory = live.get(refKey(refOf(o)))?.metadata.annotations?.[ANNOTATION_INVENTORY] ?? ''
    for (const entry of inventory.split(',').filter(Boolean)) {
      const [kind, name] = entry.split('/')
      if (kind && name && OWNED_KINDS.includes(kind)) out.push({kind, name, namespace: o.metadata.namespace})
    }
  }
  return out
}

/** The candidates this render no longer has, each once. Pure. */
export function prunable(candidates: ObjectRef[], objects: KubernetesObject[]): ObjectRef[] {
  const keep = new Set(objects.map((o) => refKey(refOf(o))))
  const seen = new Set<string>()
  return candidates.filter((r) => {
    const k = refKey(r)
    if (keep.has(k) || seen.has(k)) return false
    seen.add(k)
    return true
  })
}
