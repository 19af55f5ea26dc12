// Before applying: would the cluster be able to run the images? kaos's own images are named under
// kaos.local until a registry is chosen, and no registry serves that name: a node has them only
// if they were loaded into it. Stopping here with the command that fixes it beats an
// ImagePullBackOff a minute later. Only certainties stop a deploy; a likely failure costs one
// warning per image; an image a registry may well serve costs nothing, since kind nodes pull
// public images (Docker Hub short names, ghcr.io, quay.io…) like any other node.
import type {Cluster} from './cluster/client.js'
import {advertisedLocalRegistryHosts} from './cluster/local-registry.js'
import {type NodeImages, kindClusterOf, listNodeImages, nodeHasImage} from './cluster/nodes.js'
import {ExitCode, KaosError} from './errors.js'
import {registryHost} from './image/project.js'
import {type BuildRecord, readBuildRecord} from './image/record.js'
import {DEFAULT_IMAGE_REGISTRY} from './registry.js'
import type {KubernetesObject} from './render/common.js'

interface UsedImage {
  image: string
  pullPolicy: string
  usedBy: string
}

/** One image and every container that runs it: one line per image, however many use it. */
export interface ImageUse {
  image: string
  /** `Never` when any user says so (that one certainly fails), else `IfNotPresent`. */
  pullPolicy: string
  usedBy: string[]
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

/** The users of each image together, in first-use order; `Always` users pull anyway and are left out. */
export function groupImages(uses: UsedImage[]): ImageUse[] {
  const by = new Map<string, ImageUse>()
  for (const u of uses) {
    if (u.pullPolicy === 'Always') continue
    const g = by.get(u.image) ?? by.set(u.image, {image: u.image, pullPolicy: u.pullPolicy, usedBy: []}).get(u.image)!
    if (u.pullPolicy === 'Never') g.pullPolicy = 'Never'
    if (!g.usedBy.includes(u.usedBy)) g.usedBy.push(u.usedBy)
  }
  return [...by.values()]
}

/**
 * A registry host only the machine it runs on can reach: loopback and mDNS/`.localhost` names. A
 * kind node is its own machine, so it cannot pull from them unless the cluster was set up with a
 * mirror for that host (kind's local-registry recipe, advertised in kube-public's
 * `local-registry-hosting` ConfigMap). A single-label host with a port (`kind-registry:5000`) is
 * not here: the nodes resolve it with their own DNS, which kaos cannot see, and kind's recipe
 * makes exactly that name reachable.
 */
export function isLocalOnlyHost(host: string | undefined): boolean {
  if (!host) return false
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '')
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name) || /\.(local|localhost)$/.test(name)
}

/** `kaos-NAME` under the image registry the deploy renders kaos's images with: NAME, else undefined. */
export function ownImageName(image: string, imageRegistry: string = DEFAULT_IMAGE_REGISTRY): string | undefined {
  if (!image.startsWith(`${imageRegistry}/`)) return undefined
  const rest = image.slice(imageRegistry.length + 1).split(/[:@]/)[0]
  return /^kaos-([a-z0-9][a-z0-9.-]*)$/.exec(rest)?.[1]
}

export interface ImageFacts {
  /** The kind cluster the nodes belong to (node providerID kind://…). */
  kindCluster?: string
  /** Hosts the cluster says it can pull from although they look local (local-registry-hosting). */
  servedLocalHosts?: string[]
  /** The current folder's `.kaos/build.json`: an image `kaos mcp build` made here. */
  record?: Pick<BuildRecord, 'image' | 'digest'>
}

export type Verdict = {action: 'stop' | 'warn'; why: string} | {action: 'none'}

/**
 * What to do about an image that is on no node (the rule the README's Images section states):
 * stop when it certainly cannot be pulled (kaos.local; `imagePullPolicy: Never`); on kind, warn
 * when it was most likely made on this machine (a local-only registry host the cluster does not
 * advertise; the image the current folder's build recorded and never pushed); else say nothing.
 */
export function judgeImage(u: Pick<ImageUse, 'image' | 'pullPolicy'>, facts: ImageFacts): Verdict {
  const host = registryHost(u.image)
  if (host === DEFAULT_IMAGE_REGISTRY) return {action: 'stop', why: `no registry serves ${DEFAULT_IMAGE_REGISTRY}`}
  if (u.pullPolicy === 'Never') return {action: 'stop', why: 'imagePullPolicy Never forbids pulling it'}
  // Off kind only the kubelet knows what it can pull (node-local registries, mirrors, a shared engine).
  if (!facts.kindCluster) return {action: 'none'}
  if (isLocalOnlyHost(host) && !(facts.servedLocalHosts ?? []).includes(host!))
    return {action: 'warn', why: `${host} is a registry only this machine can reach`}
  if (facts.record?.image === u.image && !facts.record.digest) return {action: 'warn', why: '`kaos mcp build` made it here and did not push it'}
  return {action: 'none'}
}

/** The one command that puts a missing image where the cluster can run it. */
export function fixFor(u: Pick<ImageUse, 'image'>, facts: ImageFacts & {imageRegistry?: string}): string {
  const own = ownImageName(u.image, facts.imageRegistry)
  const kind = facts.kindCluster
  if (own)
    return kind
      ? `kaos system images build ${own} --kind-load --kind-cluster ${kind}`
      : `kaos system images build ${own} --push --image-registry REGISTRY && kaos system install --image-registry REGISTRY`
  if (facts.record?.image === u.image) return kind ? `kaos mcp build --kind-load --kind-cluster ${kind}` : 'kaos mcp build --push --image-registry REGISTRY'
  return kind ? `kind load docker-image ${u.image} --name ${kind}` : `push ${u.image} to a registry the cluster pulls from, and deploy that name`
}

function usersText(usedBy: string[]): string {
  return usedBy.length <= 4 ? usedBy.join(', ') : `${usedBy.slice(0, 3).join(', ')} and ${usedBy.length - 3} more`
}

/** `kaos system images build a b --kind-load …`: several of kaos's images, one command. */
export function mergeOwnFixes(fixes: string[]): string[] {
  const own = fixes.map((f) => /^kaos system images build (\S+) (.*)$/.exec(f))
  const rest = own.find(Boolean)?.[2]
  const names = own.filter((m) => m && m[2] === rest).map((m) => m![1])
  const merged = names.length > 1 ? [`kaos system images build ${[...new Set(names)].join(' ')} ${rest}`] : []
  return [...new Set([...merged, ...fixes.filter((_, i) => !(names.length > 1 && own[i]?.[2] === rest))])]
}

/**
 * Check every container image of the rendered Deployments against the nodes' image lists. Throws
 * (exit 5, IMAGE_NOT_AVAILABLE: a workload that would fail on its image) when an image certainly
 * cannot be run; adds one warning per image that probably cannot.
 */
export async function checkImages(cluster: Cluster, objects: KubernetesObject[], warnings: string[], opts: {imageRegistry?: string; cwd?: string} = {}): Promise<void> {
  const images = groupImages(usedImages(objects))
  if (images.length === 0) return
  // Asked together with the nodes rather than after them (a round trip off every such deploy);
  // only a kind cluster's answer is used. Never rejects: unreadable means none.
  const served = images.some((u) => isLocalOnlyHost(registryHost(u.image))) ? advertisedLocalRegistryHosts(cluster) : undefined
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
  const missing = images.filter((u) => !reporting.some((n) => nodeHasImage(n, u.image)))
  if (missing.length === 0) return
  const facts: ImageFacts & {imageRegistry?: string} = {kindCluster: kindClusterOf(nodes), imageRegistry: opts.imageRegistry}
  try {
    const rec = readBuildRecord(opts.cwd ?? process.cwd())
    if (rec) facts.record = rec
  } catch {
    // A corrupt record is deploy's business when it reads it; here it only sharpens a hint.
  }
  // Unreadable (forbidden, …) means none: the warning stays, and says "unless a registry serves it".
  if (facts.kindCluster && served && missing.some((u) => isLocalOnlyHost(registryHost(u.image)))) facts.servedLocalHosts = await served
  const judged = missing.map((u) => ({u, v: judgeImage(u, facts), fix: fixFor(u, facts)}))
  const stops = judged.filter((j) => j.v.action === 'stop')
  if (stops.length > 0) {
    const line = (j: (typeof stops)[number]) => `${j.u.image} (${usersText(j.u.usedBy)})`
    const message =
      stops.length === 1
        ? `image ${line(stops[0])} is on no node of the cluster, and ${(stops[0].v as {why: string}).why}: its pods would never start`
        : `images ${stops.map((j) => `${line(j)}: ${(j.v as {why: string}).why}`).join('; ')} are on no node of the cluster: their pods would never start`
    const fixes = mergeOwnFixes(stops.map((j) => j.fix))
    throw new KaosError(message, {
      exit: ExitCode.WORKLOAD_FAILED,
      code: 'IMAGE_NOT_AVAILABLE',
      suggestions: [...fixes.map((f) => (f.startsWith('push ') ? `Push${f.slice(4)}.` : `Run \`${f}\`.`)), 'Or pass --skip-image-check if you know better.'],
      data: {images: stops.map((j) => ({image: j.u.image, pullPolicy: j.u.pullPolicy, usedBy: j.u.usedBy, fix: j.fix}))},
    })
  }
  for (const j of judged)
    if (j.v.action === 'warn')
      warnings.push(`image ${j.u.image} (${usersText(j.u.usedBy)}) is on no node of kind cluster "${facts.kindCluster}" and ${j.v.why}: unless a registry serves it, its pods will not start. Load it: \`${j.fix}\``)
}
