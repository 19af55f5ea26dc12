// `kaos mcp run`'s loop: build (if the project has a build), start, wait for the port, and with
// reload restart on every (debounced) change, one restart at a time. Without reload the server's
// own exit ends the command (exit 5); with reload it waits for the next change.
import {ExitCode, KaosError} from '../errors.js'
import type {RunPlan} from './plan.js'
import {type ExitInfo, GroupProcess, shortPath, waitForPort, watchProject} from './supervisor.js'

export interface ServeOptions {
  host: string
  port: number
  reload: boolean
  /** How long a start may take to listen before kaos says so (it keeps waiting with reload). */
  readyTimeoutMs?: number
  debounceMs?: number
}

export interface ServeHooks {
  /** A line for stderr. */
  note: (message: string) => void
  /** The server listens (again): the URL for stdout. */
  ready: (info: {url: string; pid: number; starts: number}) => void
}

export interface ServeHandle {
  /** Settles when the server ends on its own without reload (always a KaosError, exit 5). */
  done: Promise<never>
  /** Stop watching and end every process (SIGTERM, then SIGKILL after a grace). */
  stop: () => Promise<void>
  /** On the way out: SIGKILL to whatever runs, now. */
  killNow: () => void
}

const exitText = (e: ExitInfo) => (e.signal ? `signal ${e.signal}` : `code ${e.code}`)

export function serve(plan: RunPlan, opts: ServeOptions, hooks: ServeHooks): ServeHandle {
  let current: GroupProcess | undefined
  let stopping = false
  let restarting = false
  let starts = 0
  let fail!: (e: KaosError) => void
  const done = new Promise<never>((_, reject) => (fail = reject))
  // Unhandled only when nothing awaits it (reload mode never rejects it).
  done.catch(() => {})

  /** Prepare steps, then the server; resolves when it listens, or with how it (or a step) ended. */
  const startOnce = async (): Promise<{ready: true; proc: GroupProcess} | {ready: false; exit?: ExitInfo; why: string}> => {
    for (const step of plan.prepare) {
      const p = (current = new GroupProcess(step))
      const exit = await p.exited
      if (stopping) return {ready: false, why: 'stopped'}
      if (exit.code !== 0) return {ready: false, exit, why: `${step.label} failed (${exitText(exit)}; its output is above)`}
    }
    let spec
    try {
      spec = plan.server()
    } catch (error) {
      return {ready: false, why: (error as Error).message}
    }
    const p = (current = new GroupProcess(spec))
    starts++
    const up = await waitForPort(opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host === '::' ? '::1' : opts.host, opts.port, p.exited, opts.readyTimeoutMs ?? 60_000)
    if (stopping) return {ready: false, why: 'stopped'}
    if (up) {
      hooks.ready({url: plan.url, pid: p.pid!, starts})
      return {ready: true, proc: p}
    }
    if (p.exit) return {ready: false, exit: p.exit, why: `the server exited (${exitText(p.exit)}) before it listened on ${plan.url} (its output is above)`}
    hooks.note(`the server has not listened on ${plan.url} after ${Math.round((opts.readyTimeoutMs ?? 60_000) / 1000)}s; still waiting`)
    return {ready: true, proc: p}
  }

  const watchExit = (p: GroupProcess) => {
    void p.exited.then((exit) => {
      if (stopping || current !== p || restarting) return
      if (opts.reload) hooks.note(`the server exited (${exitText(exit)}); waiting for a change to restart it`)
      else fail(new KaosError(`the server exited (${exitText(exit)})`, {exit: ExitCode.WORKLOAD_FAILED, suggestions: ['Its output is above. With --reload, kaos restarts it when the project changes.']}))
    })
  }

  let queue: Promise<void> = Promise.resolve()
  const restart = (paths: string[]) => {
    queue = queue.then(async () => {
      if (stopping) return
      restarting = true
      hooks.note(`${paths.map((p) => shortPath(plan.dir, p)).slice(0, 3).join(', ')}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''} changed: restarting`)
      await current?.stop()
      restarting = false
      if (stopping) return
      const r = await startOnce()
      if (r.ready) watchExit(r.proc)
      else if (!stopping) hooks.note(`${r.why}; waiting for a change to restart it`)
    })
  }

  const watcher = opts.reload ? watchProject({root: plan.dir, files: plan.watchFiles, debounceMs: opts.debounceMs, onChange: restart}) : undefined
  if (watcher) hooks.note(`watching ${plan.watchFiles ? plan.watchFiles.map((f) => shortPath(plan.dir, f)).join(', ') : plan.dir} for changes`)

  queue = queue.then(async () => {
    const r = await startOnce()
    if (r.ready) watchExit(r.proc)
    else if (stopping) return
    else if (opts.reload) hooks.note(`${r.why}; waiting for a change to restart it`)
    else fail(new KaosError(r.why, {exit: r.exit ? ExitCode.WORKLOAD_FAILED : ExitCode.INVALID_INPUT}))
  })

  return {
    done,
    stop: async () => {
      stopping = true
      watcher?.close()
      await current?.stop()
    },
    killNow: () => {
      stopping = true
      watcher?.close()
      current?.killNow()
    },
  }
}
