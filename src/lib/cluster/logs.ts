import type {Cluster} from './client.js'
import {collectionPath, objectPath} from './paths.js'
import {listAndWatch} from './watch.js'

export interface LogOptions {
  namespace: string
  selector: string
  container?: string
  follow?: boolean
  tail?: number
  sinceSeconds?: number
  /** The last run of each container that has restarted (a crash loop's cause), not the current one. */
  previous?: boolean
  signal: AbortSignal
  onLine: (source: {pod: string; container: string}, line: string) => void
  onNote?: (message: string) => void
}

function containersOf(pod: any, only?: string): string[] {
  const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c: any) => c.name)
  return only ? names.filter((n) => n === only) : names
}

function started(pod: any, container: string, previous?: boolean): boolean {
  const cs = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((c: any) => c.name === container)
  if (previous) return Boolean(cs?.lastState?.terminated)
  return Boolean(cs && (cs.state?.running || cs.state?.terminated || cs.lastState?.terminated))
}

async function streamOne(cluster: Cluster, pod: string, container: string, o: LogOptions): Promise<void> {
  const res = await cluster.open('GET', objectPath('Pod', pod, o.namespace, 'log'), {
    query: {container, follow: o.follow || undefined, previous: o.previous || undefined, tailLines: o.tail, sinceSeconds: o.sinceSeconds, timestamps: undefined},
    signal: o.signal,
    // A followed log may be quiet for hours; Ctrl-C (the signal) ends it.
    ...(o.follow ? {idleTimeoutMs: 0} : {}),
  })
  if (res.statusCode !== 200) {
    let body = ''
    for await (const c of res) body += c
    let msg = body
    try {
      msg = JSON.parse(body).message
    } catch {}
    o.onNote?.(`${pod}/${container}: ${msg}`)
    return
  }
  let buf = ''
  try {
    for await (const chunk of res) {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        o.onLine({pod, container}, buf.slice(0, nl))
        buf = buf.slice(nl + 1)
      }
    }
  } catch (error) {
    if (!o.signal.aborted) throw error
  }
  if (buf) o.onLine({pod, container}, buf)
}

/**
 * Logs of every pod and container of a workload. With `follow`, keeps streaming and picks up
 * pods that appear later (a rollout), until the signal aborts.
 */
export async function workloadLogs(cluster: Cluster, o: LogOptions): Promise<number> {
  const streaming = new Set<string>()
  const tasks: Array<Promise<void>> = []
  const startPod = (pod: any) => {
    for (const c of containersOf(pod, o.container)) {
      const key = `${pod.metadata.name}/${c}`
      if (streaming.has(key) || !started(pod, c, o.previous)) continue
      streaming.add(key)
      tasks.push(streamOne(cluster, pod.metadata.name, c, o).catch((e) => o.onNote?.(`${key}: ${(e as Error).message}`)))
    }
  }
  if (!o.follow) {
    const pods = await cluster.request<{items: any[]}>('GET', collectionPath('Pod', o.namespace), {query: {labelSelector: o.selector}})
    for (const p of pods.items) startPod(p)
    if (o.previous && tasks.length === 0 && pods.items.length > 0) o.onNote?.(`no container${o.container ? ` named ${o.container}` : ''} has restarted: there is no previous run to show`)
    await Promise.all(tasks)
    return pods.items.length
  }
  let count = 0
  await listAndWatch<any>(cluster, {
    path: collectionPath('Pod', o.namespace),
    labelSelector: o.selector,
    signal: o.signal,
    onList: (items) => {
      count = items.length
      if (items.length === 0) o.onNote?.('no pods yet; waiting for some to start')
      for (const p of items) startPod(p)
    },
    onEvent: (e) => {
      if (e.type !== 'DELETED') startPod(e.object)
    },
  })
  await Promise.allSettled(tasks)
  return count
}
