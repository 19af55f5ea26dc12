// Before applying: would the cluster be able to run the images? kaos's own images are named under
// kaos.local until a registry is chosen, and no registry serves that name: a node has them only
// if they were loaded into it. On kind, every locally built image is like that. Stopping here
// with the command that fixes it beats an ImagePullBackOff a minute later. Only certainties stop
// a deploy; a guess costs one warning.
import type {Cluster} from './cluster/client.js'
import {type NodeImages, kindClusterOf, listNodeImages, nodeHasImage} from './cluster/nodes.js'
import {ExitCode, KaosError} from './errors.js'
import {registryHost} from './image/project.js'
import {DEFAULT_IMAGE_REGISTRY} from './registry.js'
import type {KubernetesObject} from './render/common.js'

interface UsedImage {
  image: string
  pullPolicy: string
  usedBy: string
}

/** Kubernetes' default: Always for `:latest` or no tag, else IfNotPresent. */
function effectivePullPolicy(image: string, explicit?: string): string {
  if (explicit) return explicit
  const last = image.split('/').pop()!
  if (image.includes('@')) return 'IfNotPresent'
  const tag = last.includes(':') ? last.split(':').pop() : undefined
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent'
}

function usedImages(objects: KubernetesObject[]): UsedImage[] {
  const out: UsedImage[] = []
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue
    const spec = (o as any).spec?.template?.spec ?? {}
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])])
      if (c.image) out.push({image: c.image, pullPolicy: effectivePullPolicy(c.image, c.imagePullPolicy), usedBy: `${o.metadata.name}/${c.name}`})
  }
  return out
}

/** The one command that puts a missing image where the cluster can run it. */
function fixFor(image: string, kindCluster: string | undefined, own: boolean): string[] {
  if (own)
    return kindCluster
      ? [`Build kaos's images and load them into the cluster: \`kaos system images build --kind-load --kind-cluster ${kindCluster}\`.`]
      : ['Build and push kaos\'s images, then tell the cluster where they are: `kaos system images build --push --image-registry REGISTRY && kaos system install --image-registry REGISTRY`.']
  return kindCluster
    ? [`Load it into the kind nodes: \`kaos mcp build --kind-load --kind-cluster ${kindCluster}\` (or \`kind load docker-image ${image} --name ${kindCluster}\`).`]
    : [`Push it to a registry the cluster can pull from (\`kaos mcp build --push --image-registry REGISTRY\`) and deploy that name.`]
}

/**
 * Check every container image of the rendered Deployments against the nodes' image lists. Throws
 * (exit 5) when an image certainly cannot be run; adds a warning when it probably cannot.
 */
export async function checkImages(cluster: Cluster, objects: KubernetesObject[], warnings: string[]): Promise<void> {
  const images = usedImages(objects).filter((u) => u.pullPolicy !== 'Always')
  if (images.length === 0) return
  let nodes: NodeImages[]
  try {
    nodes = await listNodeImages(cluster)
  } catch (error) {
    if ((error as KaosError).code === 'FORBIDDEN') {
      warnings.push('cannot list nodes (forbidden), so the images were not checked; pass --skip-image-check to silence this')
      return
    }
    throw error
  }
  // Nodes that report no images at all (some distributions) tell nothing: guess nothing.
  const reporting = nodes.filter((n) => n.images.size > 0)
  if (reporting.length === 0) return
  const kind = kindClusterOf(nodes)
  for (const u of images) {
    if (reporting.some((n) => nodeHasImage(n, u.image))) continue
    const host = registryHost(u.image)
    const own = host === DEFAULT_IMAGE_REGISTRY && /\/kaos-[^/]+$/.test(u.image.split(':')[0])
    if (host === DEFAULT_IMAGE_REGISTRY || u.pullPolicy === 'Never')
      throw new KaosError(
        `image ${u.image} (${u.usedBy}) is on no node of the cluster, and ${u.pullPolicy === 'Never' ? 'imagePullPolicy Never forbids pulling it' : `no registry serves ${DEFAULT_IMAGE_REGISTRY}`}: its pods would never start`,
        {exit: ExitCode.WORKLOAD_FAILED, code: 'IMAGE_NOT_AVAILABLE', suggestions: [...fixFor(u.image, kind, own), 'Or pass --skip-image-check if you know better.'], data: u},
      )
    if (kind && !host)
      warnings.push(`image ${u.image} (${u.usedBy}) is on no node of kind cluster "${kind}"; unless a registry serves it, its pods will not start. ${fixFor(u.image, kind, false)[0]}`)
  }
}
