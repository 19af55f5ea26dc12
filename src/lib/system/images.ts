// `kaos system images build | list`: kaos's own images (see lib/image/own-images.ts), built with
// the Docker Engine API from the contexts shipped in the package, then pushed or loaded into kind;
// and where each one is present.
import {type NodeImages, kindClusterOf, listNodeImages, nodeHasImage} from '../cluster/nodes.js'
import type {Cluster} from '../cluster/client.js'
import {KaosError, invalid} from '../errors.js'
import {type OwnImage, listingOf, ownImages} from '../image/own-images.js'
import {registryHost} from '../image/project.js'
import {DEFAULT_IMAGE_REGISTRY, type Registry, ownImageOf} from '../registry.js'
import {didYouMeanText} from '../suggest.js'

/** The images to work on: all, or the ones named (with what they are built FROM, first). */
export function selectImages(registry: Registry, only: string[] = []): OwnImage[] {
  const all = ownImages(registry)
  if (only.length === 0) return all
  const names = new Set<string>()
  const add = (n: string) => {
    // A runtime's name works too (`memory` for its image `mcp-memory`): it is what users know.
    const rt = registry.runtimes.get(n)
    const viaRuntime = rt ? ownImageOf(rt) : undefined
    const img = all.find((i) => i.name === n) ?? all.find((i) => i.name === viaRuntime)
    if (!img) throw invalid(`kaos has no image "${n}".${didYouMeanText(n, all.map((i) => i.name))}`, [`Its images: ${all.map((i) => i.name).join(', ')}`])
    for (const need of img.needs ?? []) add(need)
    names.add(img.name)
  }
  for (const n of only) add(n)
  return all.filter((i) => names.has(i.name))
}

export interface BuiltImage {
  name: string
  ref: string
  imageId: string
  pushed?: {registry: string; digest?: string; credentials: string}
  kindLoaded?: {cluster: string}
  durationMs: number
}

export interface BuildImagesOptions {
  registry: Registry
  only?: string[]
  push?: boolean
  kindLoad?: boolean
  kindCluster?: string
  platform?: string
  timeoutMs?: number
  onLine?: (line: string) => void
}

/**
 * Build (then push or kind-load) each selected image in order. The first failure stops the run
 * with the image and the step that failed (exit 9).
 */
export async function buildOwnImages(opts: BuildImagesOptions): Promise<BuiltImage[]> {
  const images = selectImages(opts.registry, opts.only)
  const imageRegistry = opts.registry.defaults.imageRegistry
  if (opts.push && imageRegistry === DEFAULT_IMAGE_REGISTRY)
    throw invalid(`--push needs an image registry: kaos's images are named ${DEFAULT_IMAGE_REGISTRY}/…, which no registry serves`, [
      'Pass --image-registry HOST[/PATH] (e.g. ghcr.io/acme or localhost:5001), and record it for the cluster with `kaos system install --image-registry …`.',
    ])
  const [docker, context] = await Promise.all([import('../image/docker.js'), import('../image/context.js')])
  const engine = await docker.connectDocker()
  const creds = opts.push ? await docker.registryAuth(registryHost(images[0].ref)!) : undefined
  const out: BuiltImage[] = []
  for (const img of images) {
    const started = Date.now()
    opts.onLine?.(`building ${img.ref} (${img.description})`)
    const packed = context.packContext(listingOf(img), img.extra)
    const built = await docker.buildImage(engine, {
      context: packed.stream,
      tag: img.ref,
      dockerfile: img.dockerfile,
      buildargs: img.buildArgs,
      platform: opts.platform,
      timeoutMs: opts.timeoutMs,
      onLine: opts.onLine,
    })
    const result: BuiltImage = {name: img.name, ref: img.ref, imageId: built.imageId, durationMs: 0}
    if (opts.push) {
      const host = registryHost(img.ref)!
      opts.onLine?.(`pushing ${img.ref} (credentials: ${creds?.source ?? 'none'})`)
      const pushed = await docker.pushImage(engine, img.ref, host, {auth: creds?.auth, credentials: creds?.source, onLine: opts.onLine})
      result.pushed = {registry: host, ...(pushed.digest ? {digest: pushed.digest} : {}), credentials: pushed.credentials}
    }
    if (opts.kindLoad) {
      const cluster = opts.kindCluster ?? 'kind'
      opts.onLine?.(`loading ${img.ref} into kind cluster "${cluster}"`)
      await docker.kindLoad(engine, img.ref, cluster, {onLine: opts.onLine})
      result.kindLoaded = {cluster}
    }
    result.durationMs = Date.now() - started
    out.push(result)
  }
  return out
}

export interface ImagePresence {
  name: string
  ref: string
  description: string
  /** In the local Docker engine: its id, false, or why it could not tell. */
  local: {id: string} | false | {unknown: string}
  /** On the cluster's nodes: their names, or why it could not tell. */
  nodes: string[] | {unknown: string}
  /** In its registry (not asked for kaos.local, which no registry serves). */
  registry: boolean | {unknown: string} | 'not applicable'
}

/** Where each of kaos's images is: the local engine, the cluster's nodes, its registry. */
export async function listOwnImages(opts: {registry: Registry; cluster?: () => Promise<Cluster>; checkRegistry?: boolean}): Promise<{images: ImagePresence[]; kindCluster?: string}> {
  const images = ownImages(opts.registry)
  const [docker, registryApi] = await Promise.all([import('../image/docker.js'), import('../image/registry-api.js')])
  const engine = await docker.connectDocker().catch((error: KaosError) => error)
  let nodes: NodeImages[] | {unknown: string}
  try {
    nodes = opts.cluster ? await listNodeImages(await opts.cluster()) : {unknown: 'no cluster'}
  } catch (error) {
    nodes = {unknown: (error as Error).message}
  }
  const rows = await Promise.all(
    images.map(async (img): Promise<ImagePresence> => {
      let local: ImagePresence['local']
      if (engine instanceof KaosError) local = {unknown: engine.message}
      else local = (await docker.localImage(engine, img.ref).catch((e: Error) => ({unknown: e.message}))) ?? false
      const host = registryHost(img.ref)
      let registry: ImagePresence['registry'] = 'not applicable'
      if (opts.checkRegistry !== false && host && host !== DEFAULT_IMAGE_REGISTRY) {
        const creds = await docker.registryAuth(host).catch(() => undefined)
        registry = await registryApi.registryHasImage(img.ref, creds?.auth)
      }
      return {
        name: img.name,
        ref: img.ref,
        description: img.description,
        local: local && 'id' in local ? {id: local.id} : local,
        nodes: Array.isArray(nodes) ? nodes.filter((n) => nodeHasImage(n, img.ref)).map((n) => n.name) : nodes,
        registry,
      }
    }),
  )
  return {images: rows, ...(Array.isArray(nodes) && kindClusterOf(nodes) ? {kindCluster: kindClusterOf(nodes)} : {})}
}

