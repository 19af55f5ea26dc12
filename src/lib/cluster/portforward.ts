/**
 * An in-process port-forward, like `kubectl port-forward svc/NAME` without kubectl: a listener on
 * 127.0.0.1 whose every TCP connection becomes one port-forward WebSocket to a Ready pod behind a
 * Service, through the API server (see portforward-stream.ts). Everything is closed
 * on `close()` (or at once with `closeNow()` from a signal handler): listener, sockets, WebSockets.
 *
 * A pod that goes away is noticed when its stream breaks: `explain()` turns the break into a clear
 * error, and `failover()` moves new connections to another Ready pod.
 */
import net from 'node:net'

import {type Kind, TOPIC_OF} from '../kinds.js'
import {ExitCode, KaosError} from '../errors.js'
import {objectName, selectorString} from '../names.js'
import type {Cluster} from './client.js'
import {collectionPath, objectPath} from './paths.js'
import {forwardSocket} from './portforward-stream.js'
import {podProblem, problemText} from './wait.js'
import {listAndWatch} from './watch.js'

type WebSocketLike = {
  close(): void
  terminate?: () => void
  on?: (event: string, fn: (...a: any[]) => void) => void
  readyState?: number
}

export interface ForwardOptions {
  namespace: string
  /** The Service whose selector picks the pods. */
  service: string
  /** What the Service serves, for messages: `MCPServer "calc"`. */
  what?: string
  /** Where its pods' story is told: `kaos mcp logs calc -n tools`. */
  logsCommand?: string
  /** Local port (default: a free one). */
  localPort?: number
  /** Service port to forward (default: the first, or the one named `http`). */
  servicePort?: number
  /** Forward to this pod of the Service (it must be Ready), never another: checks of one pod. */
  pod?: string
  /** Progress notes (stderr). */
  log?: (message: string) => void
}

/** Ready, and not on its way out. */
export function isPodReady(pod: any): boolean {
  if (!pod || pod.metadata?.deletionTimestamp) return false
  return (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')
}

/** Why no pod of a workload is Ready, for the error message. */
export function notReadySummary(pods: any[]): string {
  if (pods.length === 0) return 'no pods exist (scaled to 0, or the Deployment cannot create them)'
  return pods
    .slice(0, 3)
    .map((p) => {
      const problem = podProblem(p)
      if (problem) return problemText(problem)
      if (p.metadata?.deletionTimestamp) return `pod ${p.metadata.name}: terminating`
      const ready = (p.status?.conditions ?? []).find((c: any) => c.type === 'Ready')
      return `pod ${p.metadata?.name}: ${p.status?.phase ?? 'Unknown'}${ready?.reason ? ` (${ready.reason})` : ', not Ready'}`
    })
    .join('; ')
}

/** The container port a Service targetPort means on this pod. */
export function resolveTargetPort(targetPort: number | string | undefined, port: number, pod: any): number | undefined {
  if (targetPort === undefined || targetPort === null || targetPort === '') return port
  if (typeof targetPort === 'number' || /^\d+$/.test(targetPort)) return Number(targetPort)
  for (const c of pod?.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === targetPort) return p.containerPort
  return undefined
}

export class PortForwarder {
  /** The pod new connections go to. */
  pod = ''
  /** Container port on the pod. */
  podPort = 0
  localPort = 0
  /** Connections opened through the forward so far. */
  connections = 0
  /** The last failure seen on a stream: WebSocket refused, error channel text, abnormal close. */
  lastFailure?: {pod: string; message: string}

  private server?: net.Server
  private readonly sockets = new Set<net.Socket>()
  private readonly sockets2ws = new Map<net.Socket, WebSocketLike>()
  /** The pod each connection goes to. */
  private readonly socketPod = new Map<net.Socket, string>()
  /** Pods seen deleted by the watch, with what happened. */
  private readonly gone = new Map<string, string>()
  private watchAc?: AbortController
  private readonly badPods = new Set<string>()
  private selector = ''
  private targetPort: number | string | undefined
  private servicePortNumber = 0
  private closed = false

  private constructor(
    private readonly cluster: Cluster,
    private readonly opts: ForwardOptions,
  ) {}

  /** Resolve the Service and a Ready pod, then listen. */
  static async open(cluster: Cluster, opts: ForwardOptions): Promise<PortForwarder> {
    const f = new PortForwarder(cluster, opts)
    await f.resolveService()
    await f.pickPod()
    await f.listen()
    return f
  }

  get what(): string {
    return this.opts.what ?? `service ${this.opts.service}`
  }

  /** http://127.0.0.1:<port><path> */
  url(path = ''): string {
    return `http://127.0.0.1:${this.localPort}${path}`
  }

  private async resolveService(): Promise<void> {
    const {namespace, service} = this.opts
    const svc = await this.cluster.get(objectPath('Service', service, namespace))
    if (!svc)
      throw new KaosError(`${this.what} has no Service ${service} in namespace "${namespace}"`, {
        exit: ExitCode.NOT_FOUND,
        suggestions: ['Deploy it again (kaos applies the Service with the Deployment).'],
      })
    const sel = svc.spec?.selector ?? {}
    if (Object.keys(sel).length === 0) throw new KaosError(`Service ${namespace}/${service} has no selector: no pod to forward to`, {exit: ExitCode.WORKLOAD_FAILED})
    this.selector = selectorString(sel)
    const ports: any[] = svc.spec?.ports ?? []
    const sp = (this.opts.servicePort ? ports.find((p) => p.port === this.opts.servicePort) : undefined) ?? ports.find((p) => p.name === 'http') ?? ports[0]
    if (!sp) throw new KaosError(`Service ${namespace}/${service} exposes no port`, {exit: ExitCode.WORKLOAD_FAILED})
    this.servicePortNumber = sp.port
    this.targetPort = sp.targetPort
  }

  private async readyPods(): Promise<{ready: any[]; all: any[]}> {
    const list = await this.cluster.request<{items: any[]}>('GET', collectionPath('Pod', this.opts.namespace), {query: {labelSelector: this.selector}})
    const all = list.items ?? []
    // Newest first: after a rollout the new pods are the ones that stay.
    const ready = all
      .filter((p) => isPodReady(p) && !this.badPods.has(p.metadata.name))
      .sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')))
    return {ready, all}
  }

  private async pickPod(): Promise<void> {
    const {ready, all} = await this.readyPods()
    const pod = this.opts.pod ? ready.find((p) => p.metadata.name === this.opts.pod) : ready[0]
    if (!pod && this.opts.pod)
      throw new KaosError(`pod ${this.opts.pod} of ${this.what} is not Ready (or is gone): ${notReadySummary(all.filter((p) => p.metadata?.name === this.opts.pod))}`, {
        exit: ExitCode.WORKLOAD_FAILED,
        code: 'NO_READY_POD',
      })
    if (!pod) {
      const ns = this.opts.namespace
      throw new KaosError(`${this.what} in namespace "${ns}" has no Ready pod to forward to: ${notReadySummary(all)}`, {
        exit: ExitCode.WORKLOAD_FAILED,
        code: 'NO_READY_POD',
        suggestions: [`Wait for it (deploy with --wait), or see why: ${this.opts.logsCommand ?? `kubectl get pods -n ${ns} -l ${this.selector}`} (--previous for a container that crashed)`],
        data: {pods: all.map((p) => ({name: p.metadata?.name, phase: p.status?.phase, ready: isPodReady(p)}))},
      })
    }
    const port = resolveTargetPort(this.targetPort, this.servicePortNumber, pod)
    if (!port)
      throw new KaosError(`pod ${pod.metadata.name} has no container port named "${this.targetPort}" (the Service's targetPort)`, {exit: ExitCode.WORKLOAD_FAILED})
    this.pod = pod.metadata.name
    this.podPort = port
  }

  private async listen(): Promise<void> {
    const server = net.createServer((socket) => this.onConnection(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        reject(
          e.code === 'EADDRINUSE'
            ? new KaosError(`local port ${this.opts.localPort} is already in use`, {exit: ExitCode.INVALID_INPUT, suggestions: ['Pick another --local-port, or leave it out for a free one.']})
            : e,
        )
      })
      server.listen({host: '127.0.0.1', port: this.opts.localPort ?? 0}, () => resolve())
    })
    server.on('error', () => {})
    this.localPort = (server.address() as net.AddressInfo).port
    this.opts.log?.(`forwarding 127.0.0.1:${this.localPort} -> pod ${this.opts.namespace}/${this.pod}:${this.podPort}`)
  }

  private noteFailure(pod: string, message: string): void {
    if (this.closed) return
    this.lastFailure = {pod, message: message.trim()}
  }

  private onConnection(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy()
      return
    }
    this.connections++
    socket.pause()
    socket.setNoDelay(true)
    socket.on('error', () => {})
    this.sockets.add(socket)
    const pod = this.pod
    this.socketPod.set(socket, pod)
    this.watchPods()
    socket.once('close', () => {
      this.sockets.delete(socket)
      this.socketPod.delete(socket)
      const ws = this.sockets2ws.get(socket)
      this.sockets2ws.delete(socket)
      if (ws) terminate(ws)
    })
    forwardSocket(this.cluster, this.opts.namespace, pod, this.podPort, socket, {
      onError: (e) => {
        this.noteFailure(pod, e.message)
        socket.destroy()
      },
      onClose: (code, text) => {
        if (text) this.noteFailure(pod, text)
        else if (code !== 1000 && code !== 1005) this.noteFailure(pod, `the API server closed the stream (WebSocket code ${code})`)
        // The pod side is done: end our side too, so the client sees EOF instead of hanging.
        socket.destroy()
      },
    }).then(
      ({ws}) => {
        const w = ws as unknown as WebSocketLike
        if (socket.destroyed || this.closed) {
          terminate(w)
          return
        }
        this.sockets2ws.set(socket, w)
        socket.resume()
      },
      (error: unknown) => {
        this.noteFailure(pod, describeWsError(error))
        socket.destroy()
      },
    )
  }

  /**
   * Watch the workload's pods while connections are open: a deleted pod does not always close
   * its port-forward streams (the API server and the node may keep them open), so connections to
   * it are ended here, and the call that was waiting fails at once instead of hanging.
   */
  private watchPods(): void {
    if (this.watchAc || this.closed) return
    this.watchAc = new AbortController()
    const lost = (name: string, why: string) => {
      if (this.closed || this.gone.has(name)) return
      this.gone.set(name, why)
      this.noteFailure(name, why)
      for (const [socket, pod] of this.socketPod) if (pod === name) socket.destroy()
    }
    listAndWatch<any>(this.cluster, {
      path: collectionPath('Pod', this.opts.namespace),
      labelSelector: this.selector,
      signal: this.watchAc.signal,
      onList: (items) => {
        const names = new Set(items.map((p) => p.metadata?.name))
        for (const pod of new Set(this.socketPod.values())) if (!names.has(pod)) lost(pod, 'it was deleted')
      },
      onEvent: (e) => {
        if (e.type === 'DELETED') lost(e.object?.metadata?.name, 'it was deleted')
      },
    }).catch(() => {})
  }

  /**
   * After a broken connection: a clear error naming the pod and what happened to it, or
   * undefined when nothing points at the forward (the caller keeps its own message).
   */
  async explain(cause?: Error): Promise<KaosError | undefined> {
    if (this.closed && !this.lastFailure) return undefined
    const pod = this.lastFailure?.pod ?? this.pod
    let state = this.gone.get(pod) ?? ''
    if (!state) {
      try {
        const p = await this.cluster.get(objectPath('Pod', pod, this.opts.namespace))
        if (!p) state = 'it was deleted'
        else if (p.metadata?.deletionTimestamp) state = 'it is terminating'
        else if (!isPodReady(p)) state = `it is no longer Ready${podProblem(p) ? ` (${problemText(podProblem(p)!)})` : ''}`
      } catch {
        // The API server is unreachable too: say what we know.
      }
    }
    let detail = this.lastFailure?.message ?? (cause ? cause.message : '')
    if (detail === state) detail = ''
    if (state)
      return new KaosError(`pod ${pod} of ${this.what} went away during the call: ${state}${detail ? ` (${firstLine(detail)})` : ''}`, {
        exit: ExitCode.WORKLOAD_FAILED,
        code: 'POD_LOST',
        suggestions: ['Run the command again: kaos forwards to another Ready pod.'],
      })
    if (this.lastFailure)
      return new KaosError(`the port-forward to pod ${pod} (${this.what}) failed: ${firstLine(this.lastFailure.message)}`, {
        exit: ExitCode.WORKLOAD_FAILED,
        code: 'PORT_FORWARD_FAILED',
        suggestions: ['Is the server listening on its port inside the pod? Check the pod logs.'],
      })
    return undefined
  }

  /** Move new connections to another Ready pod (not the one that failed). True if there is one. */
  async failover(): Promise<boolean> {
    if (this.opts.pod) return false
    const failed = this.lastFailure?.pod ?? this.pod
    this.badPods.add(failed)
    try {
      const {ready} = await this.readyPods()
      const next = ready[0]
      if (!next) return false
      const port = resolveTargetPort(this.targetPort, this.servicePortNumber, next)
      if (!port) return false
      this.opts.log?.(`pod ${failed} is gone; forwarding to pod ${next.metadata.name} instead`)
      this.pod = next.metadata.name
      this.podPort = port
      this.lastFailure = undefined
      return true
    } catch {
      return false
    }
  }

  /** Close at once: listener, sockets, WebSockets. Safe in signal handlers; idempotent. */
  closeNow(): void {
    if (this.closed) return
    this.closed = true
    this.watchAc?.abort()
    this.server?.close()
    for (const ws of this.sockets2ws.values()) terminate(ws)
    for (const s of this.sockets) s.destroy()
    this.sockets2ws.clear()
    this.sockets.clear()
    this.socketPod.clear()
  }

  /** Close everything and wait for the listener to be released. */
  async close(): Promise<void> {
    const server = this.server
    this.closeNow()
    if (server?.listening) await new Promise<void>((r) => server.close(() => r()))
  }
}

function terminate(ws: WebSocketLike): void {
  try {
    if (ws.terminate) ws.terminate()
    else ws.close()
  } catch {
    // already gone
  }
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim())?.trim() ?? s
}

/** ws's upgrade failures say "Unexpected server response: 404": say what that means here. */
function describeWsError(error: unknown): string {
  const e = error as {message?: string; error?: Error}
  const msg = e?.message ?? e?.error?.message ?? String(error)
  const status = /Unexpected server response: (\d+)/.exec(msg)?.[1]
  if (status === '404') return 'the pod no longer exists (404 from the API server)'
  if (status === '400') return 'the pod is not running (400 from the API server)'
  if (status === '403') return 'forbidden: your credentials may not create pods/portforward (403)'
  if (status === '401') return 'the API server refused the credentials (401)'
  return msg
}

/**
 * Forward to a kaos workload: its Deployment must exist (not found: exit 8), its Service
 * `<prefix>-<name>` picks the pods, and one must be Ready (else exit 5, with the pods' state).
 */
export async function forwardWorkload(
  cluster: Cluster,
  kind: Kind,
  name: string,
  namespace: string,
  opts: {localPort?: number; log?: (m: string) => void; deployment?: any; pod?: string} = {},
): Promise<PortForwarder> {
  const logsCommand = `kaos ${TOPIC_OF[kind]} logs ${name} -n ${namespace}`
  return PortForwarder.open(cluster, {namespace, service: objectName(kind, name), what: `${kind} "${name}"`, logsCommand, localPort: opts.localPort, log: opts.log, pod: opts.pod})
}
