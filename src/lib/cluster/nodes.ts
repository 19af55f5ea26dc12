// The cluster's nodes as kaos needs them: which images each already holds (status.images), and
// whether the cluster is kind (node providerID kind://…), whose nodes can only run images that
// were loaded into them or that a registry serves.
import type {Cluster} from './client.js'
import {listObjects} from './objects.js'

export interface NodeImages {
  name: string
  /** `kind://docker/<cluster>/<node>` on kind. */
  providerID?: string
  images: Set<string>
}

/** kubelet reports at most this many images per node (nodeStatusMaxImages): a full list may be partial. */
export const KUBELET_MAX_IMAGES = 50

export async function listNodeImages(cluster: Cluster): Promise<NodeImages[]> {
  const nodes = await listObjects(cluster, 'Node')
  return nodes.map((n) => ({
    name: n.metadata.name,
    providerID: n.spec?.providerID,
    images: new Set<string>((n.status?.images ?? []).flatMap((i: {names?: string[]}) => i.names ?? [])),
  }))
}

/** The kind cluster's name, when the nodes are kind's. */
export function kindClusterOf(nodes: NodeImages[]): string | undefined {
  for (const n of nodes) {
    const m = /^kind:\/\/[^/]+\/([^/]+)\//.exec(n.providerID ?? '')
    if (m) return m[1]
  }
  return undefined
}

/**
 * Whether a node holds `ref`, as kubelet names images: `docker.io/library/x:1`, `x:1`, or with a
 * digest. A short name (`x:1`) also matches its docker.io form.
 */
export function nodeHasImage(node: NodeImages, ref: string): boolean {
  if (node.images.has(ref)) return true
  const first = ref.split('/')[0]
  const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
  if (!hasHost) {
    const long = ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`
    if (node.images.has(long)) return true
  }
  return false
}
