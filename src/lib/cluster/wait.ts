import {ExitCode, KaosError} from '../errors.js'
import type {Cluster} from './client.js'
import {collectionPath, objectPath} from './paths.js'
import {listAndWatch} from './watch.js'

export interface WaitTarget {
  /** Deployment name and namespace. */
  name: string
  namespace: string
  /** Label selector of its pods. */
  selector: string
}

export interface Problem {
  pod?: string
  container?: string
  reason: string
  message: string
  exitCode?: number
  image?: string
  logs?: string[]
}

export interface WaitResult {
  name: string
  namespace: string
  ready: boolean
  replicas: number
  readyReplicas: number
  problem?: Problem
}

/** Why a Deployment is not ready yet, or undefined when it is. */
export function deploymentProgress(d: any): {done: boolean; text: string; failed?: string} {
  if (!d) return {done: false, text: 'waiting for the Deployment to appear'}
  const want = d.spec?.replicas ?? 1
  const s = d.status ?? {}
  const cond = (s.conditions ?? []).find((c: any) => c.type === 'Progressing')
  if (cond?.reason === 'ProgressDeadlineExceeded') return {done: false, text: cond.message, failed: cond.message}
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 1)) return {done: false, text: 'waiting for the controller to see the new spec'}
  const updated = s.updatedReplicas ?? 0
  const available = s.availableReplicas ?? 0
  const total = s.replicas ?? 0
  if (updated < want) return {done: false, text: `${updated}/${want} pods updated`}
  if (total > updated) return {done: false, text: `${total - updated} old pods terminating`}
  // Scaled down: the controller has not yet taken the extra pods out of the count (ready 3/1).
  if (total > want || (s.readyReplicas ?? 0) > want) return {done: false, text: `scaling down to ${want}: ${Math.max(total, s.readyReplicas ?? 0) - want} pods to remove`}
  if (available < want) return {done: false, text: `${available}/${want} pods available`}
  return {done: true, text: `${available}/${want} ready`}
}

const FATAL_WAITING = new Set(['CrashLoopBackOff', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'])

/** The first problem a pod shows that will not fix itself, from its status. */
export function podProblem(pod: any): Problem | undefined {
  const name = pod.metadata?.name
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
  for (const cs of statuses) {
    const w = cs.state?.waiting
    if (w && FATAL_WAITING.has(w.reason)) {
      const term = cs.lastState?.terminated
      return {
        pod: name,
        container: cs.name,
        reason: w.reason,
        message: w.message ?? '',
        ...(term ? {exitCode: term.exitCode} : {}),
        ...(w.reason.includes('Image') ? {image: cs.image} : {}),
      }
    }
    const t = cs.state?.terminated
    if (t && t.exitCode !== 0 && pod.spec?.restartPolicy === 'Never') return {pod: name, container: cs.name, reason: t.reason ?? 'Error', message: t.message ?? '', exitCode: t.exitCode}
  }
  const sched = (pod.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled' && c.status === 'False')
  if (sched?.reason === 'Unschedulable') return {pod: name, reason: 'Unschedulable', message: sched.message ?? ''}
  return undefined
}

/** A one-line explanation of a problem. */
export function problemText(p: Problem): string {
  const where = [p.pod && `pod ${p.pod}`, p.container && `container ${p.container}`].filter(Boolean).join(' ')
  let text = `${where ? `${where}: ` : ''}${p.reason}`
  if (p.image) text += ` for image "${p.image}"`
  if (p.exitCode !== undefined) text += ` (last exit code ${p.exitCode})`
  if (p.message) text += `: ${p.message}`
  return text
}

/** Recent Warning events of a pod, newest last, e.g. failed probes. */
export async function podWarnings(cluster: Cluster, namespace: string, pod: string): Promise<string[]> {
  const list = await cluster.request<{items: any[]}>('GET', collectionPath('Event', namespace), {query: {fieldSelector: `involvedObject.name=${pod},type=Warning`}})
  return list.items
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime).localeCompare(String(b.lastTimestamp ?? b.eventTime)))
    .map((e) => `${e.reason}: ${e.message}`)
}

/** The last lines a container printed (the previous instance when it crashed). */
export async function lastLogLines(cluster: Cluster, namespace: string, pod: string, container: string | undefined, lines = 20): Promise<string[]> {
  for (const previous of [true, false]) {
    try {
      const res = await cluster.open('GET', objectPath('Pod', pod, namespace, 'log'), {query: {container, tailLines: lines, previous: previous || undefined}})
      let text = ''
      for await (const c of res) text += c
      if (res.statusCode === 200 && text.trim()) return text.trimEnd().split('\n').slice(-lines)
    } catch {
      // Logs are a courtesy in a failure message; their absence must not hide the failure.
    }
  }
  return []
}

export interface WaitOptions {
  timeoutMs: number
  onProgress?: (target: WaitTarget, text: string) => void
}

/**
 * Wait until every target Deployment is rolled out and available, by watching it and its pods.
 * Fails early (exit 5) on pod problems that do not heal (image pull, crash loop, config errors,
 * unschedulable); times out (exit 4) otherwise, saying what it was still waiting for.
 */
export async function waitForDeployments(cluster: Cluster, targets: WaitTarget[], opts: WaitOptions): Promise<WaitResult[]> {
  return Promise.all(targets.map((t) => waitOne(cluster, t, opts)))
}

async function waitOne(cluster: Cluster, t: WaitTarget, opts: WaitOptions): Promise<WaitResult> {
  const ac = new AbortController()
  let deployment: any
  const pods = new Map<string, any>()
  let lastText = ''
  let settle!: (v: {ok: true} | {ok: false; problem: Problem} | {ok: false; timeout: true}) => void
  const outcome = new Promise<{ok: true} | {ok: false; problem: Problem} | {ok: false; timeout: true}>((r) => (settle = r))
  const timer = setTimeout(() => settle({ok: false, timeout: true}), opts.timeoutMs)

  // Until the Deployment has been listed, "not there" only means "not read yet".
  let listed = false
  const check = () => {
    if (!listed) return
    const prog = deploymentProgress(deployment)
    if (prog.done) return settle({ok: true})
    if (prog.failed) return settle({ok: false, problem: {reason: 'ProgressDeadlineExceeded', message: prog.failed}})
    // Only pods of the current template matter: old ones are being replaced.
    const hash = deployment?.spec?.template?.metadata?.annotations?.['kaos.tools/pod-spec-hash']
    for (const p of pods.values()) {
      if (hash && p.metadata?.annotations?.['kaos.tools/pod-spec-hash'] !== hash) continue
      if (p.metadata?.deletionTimestamp) continue
      const problem = podProblem(p)
      if (problem) return settle({ok: false, problem})
    }
    const text = prog.text
    if (text !== lastText) {
      lastText = text
      opts.onProgress?.(t, text)
    }
  }

  // The command's --timeout (the connection's deadline) ending a watch is a timeout, not a failure.
  const watchErr = (e: unknown) =>
    (e as KaosError).code === 'TIMEOUT' ? settle({ok: false, timeout: true}) : settle({ok: false, problem: {reason: 'WatchFailed', message: (e as Error).message}})
  listAndWatch<any>(cluster, {
    path: collectionPath('Deployment', t.namespace),
    fieldSelector: `metadata.name=${t.name}`,
    signal: ac.signal,
    onList: (items) => {
      deployment = items[0]
      listed = true
      check()
    },
    onEvent: (e) => {
      deployment = e.type === 'DELETED' ? undefined : e.object
      check()
    },
    onReconnect: (why) => opts.onProgress?.(t, why),
  }).catch(watchErr)
  watchPods(cluster, t, ac.signal, pods, check).catch(watchErr)

  const r = await outcome
  clearTimeout(timer)
  ac.abort()
  const base = {name: t.name, namespace: t.namespace, replicas: deployment?.spec?.replicas ?? 1, readyReplicas: deployment?.status?.readyReplicas ?? 0}
  if (r.ok) return {...base, ready: true}
  if ('problem' in r) {
    const p = r.problem
    if (p.reason === 'CrashLoopBackOff' && p.pod) p.logs = await lastLogLines(cluster, t.namespace, p.pod, p.container)
    const logs = p.logs?.length ? `\n--- last ${p.logs.length} log lines of ${p.pod}/${p.container} ---\n${p.logs.join('\n')}` : ''
    throw new KaosError(`Deployment ${t.name} in ${t.namespace} failed: ${problemText(p)}${logs}`, {
      exit: ExitCode.WORKLOAD_FAILED,
      data: {...base, ready: false, problem: p},
      suggestions: suggestionFor(p),
    })
  }
  // Timed out: explain with what the pods say (e.g. failing readiness probes) before giving up.
  const why: string[] = [lastText || 'not ready']
  for (const p of pods.values()) {
    const notReady = (p.status?.conditions ?? []).find((c: any) => c.type === 'Ready' && c.status !== 'True')
    if (!notReady) continue
    const warnings = await podWarnings(cluster, t.namespace, p.metadata.name).catch(() => [])
    why.push(`pod ${p.metadata.name} not ready${warnings.length ? `: ${warnings.at(-1)}` : notReady.message ? `: ${notReady.message}` : ''}`)
    break
  }
  throw new KaosError(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for Deployment ${t.name} in ${t.namespace}: ${why.join('; ')}`, {
    exit: ExitCode.WAIT_TIMEOUT,
    data: {...base, ready: false, waitingFor: why},
    suggestions: [`Inspect with \`kaos <kind> get\` and \`kaos <kind> logs\`, or raise --timeout.`],
  })
}

function suggestionFor(p: Problem): string[] {
  if (p.reason.includes('Image')) {
    // kaos's own images (kaos-rawpython, kaos-gateway, kaos-mcp-<runtime>, …) are built by kaos itself.
    if (p.image && /(^|\/)kaos-[a-z0-9-]+:/.test(p.image))
      return ['kaos publishes no images: build its own and put them where the cluster pulls (kind: `kaos system images build --kind-load`; else `--push --image-registry REGISTRY` and `kaos system install --image-registry REGISTRY`).']
    return ['Check the image name and tag, and that the cluster can pull it (kind: `kaos mcp build --kind-load`).']
  }
  if (p.reason === 'CreateContainerConfigError') return ['Create the missing Secret or ConfigMap key, then redeploy.']
  if (p.reason === 'Unschedulable') return ['Lower the resource requests or add nodes.']
  if (p.reason === 'CrashLoopBackOff') return ['Read the log lines above; fix the code or params and redeploy.']
  return []
}

/** Keep `pods` equal to the live pods matching the target's selector, calling `changed` on every change. */
function watchPods(cluster: Cluster, t: WaitTarget, signal: AbortSignal, pods: Map<string, any>, changed: () => void): Promise<void> {
  return listAndWatch<any>(cluster, {
    path: collectionPath('Pod', t.namespace),
    labelSelector: t.selector,
    signal,
    onList: (items) => {
      pods.clear()
      for (const p of items) pods.set(p.metadata.name, p)
      changed()
    },
    onEvent: (e) => {
      if (e.type === 'DELETED') pods.delete(e.object.metadata.name)
      else pods.set(e.object.metadata.name, e.object)
      changed()
    },
  })
}

/** Wait until a Deployment and its pods are gone. */
export async function waitForGone(cluster: Cluster, t: WaitTarget, timeoutMs: number): Promise<void> {
  const ac = new AbortController()
  let depGone = false
  let done!: (ok: boolean) => void
  const finished = new Promise<boolean>((r) => (done = r))
  const timer = setTimeout(() => done(false), timeoutMs)
  const pods = new Map<string, any>()
  const check = () => depGone && pods.size === 0 && podsListed && done(true)
  let podsListed = false
  listAndWatch<any>(cluster, {
    path: collectionPath('Deployment', t.namespace),
    fieldSelector: `metadata.name=${t.name}`,
    signal: ac.signal,
    onList: (items) => {
      depGone = items.length === 0
      check()
    },
    onEvent: (e) => {
      depGone = e.type === 'DELETED'
      check()
    },
  }).catch(() => done(false))
  watchPods(cluster, t, ac.signal, pods, () => {
    podsListed = true
    check()
  }).catch(() => done(false))
  const ok = await finished
  clearTimeout(timer)
  ac.abort()
  if (!ok) throw new KaosError(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${t.name} in ${t.namespace} to be deleted`, {exit: ExitCode.WAIT_TIMEOUT})
}
