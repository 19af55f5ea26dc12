// Running an MCP server on this machine for `kaos mcp run`: the server (and any build step before
// it) in a process group of its own, so that a restart or Ctrl-C ends every process it started
// (npm → node, python → its workers), never only the first; a wait until its port answers; and a
// file watcher that restarts it, debounced, when the project changes.
import {type ChildProcess, spawn} from 'node:child_process'
import {type FSWatcher, fstatSync, readdirSync, statSync, watch} from 'node:fs'
import net from 'node:net'
import {basename, dirname, join, relative, sep} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

export interface ProcessSpec {
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  cwd: string
  /** For messages: `npm run build`. */
  label: string
  /** Where the process's stdout goes: ours (a tool's results) or, by default, our stderr. */
  stdout?: 'inherit' | 'stderr'
}

export type ExitInfo = {code: number | null; signal: NodeJS.Signals | null}

/** Whether any process of the group `pgid` is still there. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // already gone
  }
}

/** A process started as the leader of a new process group, its output on our stderr. */
export class GroupProcess {
  readonly child: ChildProcess
  readonly exited: Promise<ExitInfo>
  exit?: ExitInfo

  constructor(spec: ProcessSpec) {
    // A server's stdout goes to our stderr too: kaos's own stdout carries only the URL (or --json lines).
    this.child = spawn(spec.command, spec.args, {cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', spec.stdout === 'inherit' ? 1 : 2, 2]})
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.exit = {code: 127, signal: null}
        process.stderr.write(`kaos: cannot start ${spec.label}: ${(error as Error).message}\n`)
        resolve(this.exit)
      })
      this.child.once('exit', (code, signal) => {
        this.exit = {code, signal}
        resolve(this.exit)
      })
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /**
   * SIGTERM to the whole group, SIGKILL to whatever is left after `graceMs`; resolves when no
   * process of the group is left (the leader reaped by Node, the rest by their new parent).
   */
  async stop(graceMs = 5000): Promise<void> {
    const pgid = this.child.pid
    if (!pgid) return
    signalGroup(pgid, 'SIGTERM')
    const until = Date.now() + graceMs
    while (groupAlive(pgid) && Date.now() < until) await sleep(50)
    if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL')
    await this.exited
    for (let i = 0; i < 100 && groupAlive(pgid); i++) await sleep(20)
  }

  /** On the way out: SIGKILL to the group, now. */
  killNow(): void {
    if (this.child.pid) signalGroup(this.child.pid, 'SIGKILL')
  }
}

/** Resolves true once host:port accepts a TCP connection, false if `gone` settles first or after `timeoutMs`. */
export async function waitForPort(host: string, port: number, gone: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let over = false
  void gone.then(() => (over = true))
  const until = Date.now() + timeoutMs
  while (!over && Date.now() < until) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({host, port})
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
      s.setTimeout(1000, () => {
        s.destroy()
        resolve(false)
      })
    })
    if (up && !over) return true
    await sleep(100)
  }
  return false
}

/** Whether host:port can be listened on now (the server is to bind it next). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen({host, port, exclusive: true}, () => srv.close(() => resolve(true)))
  })
}

/** A port nothing listens on (for --port 0). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen({host, port: 0}, () => {
      const {port} = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** Folders never watched: dependencies, build output, caches, VCS, kaos's own state. */
export const IGNORED_DIRS = new Set(['node_modules', 'dist', 'build', '.git', '.hg', '.svn', '.kaos', '.venv', 'venv', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.tox', 'coverage', '.next'])

/** Editors' temporary and backup files: saving a file must restart once, for the file itself. */
export function isScratchFile(name: string): boolean {
  // sed -i writes sedXXXXXX next to the file before renaming it over.
  return /^\.#|~$|\.sw[a-p]$|^4913$|\.tmp$|\.pyc$|\.log$|^sed[A-Za-z0-9]{6}$/.test(name) || name === '.DS_Store'
}

export interface Watcher {
  close(): void
}

/**
 * Watch a project folder (and its subfolders, except IGNORED_DIRS), or only `files`, and call
 * `onChange` with the changed path once changes have stopped for `debounceMs`. One watcher per
 * folder rather than Node's recursive mode, which would also watch node_modules.
 */
export function watchProject(opts: {root: string; files?: string[]; debounceMs?: number; onChange: (paths: string[]) => void}): Watcher {
  const watchers = new Map<string, FSWatcher>()
  // `kaos mcp run --reload > server.log` in the project: kaos's own output (and the server's,
  // which goes to the same stderr) must not count as a change, or every line would restart it.
  const ownOutput = new Set<string>()
  for (const fd of [1, 2]) {
    try {
      const st = fstatSync(fd)
      if (st.isFile()) ownOutput.add(`${st.dev}:${st.ino}`)
    } catch {
      // closed
    }
  }
  const only = opts.files ? new Set(opts.files) : undefined
  let timer: NodeJS.Timeout | undefined
  let changed = new Set<string>()
  const fire = (path: string) => {
    changed.add(path)
    clearTimeout(timer)
    timer = setTimeout(() => {
      const paths = [...changed]
      changed = new Set()
      opts.onChange(paths)
    }, opts.debounceMs ?? 300)
  }
  const add = (dir: string) => {
    if (watchers.has(dir)) return
    let w: FSWatcher
    try {
      w = watch(dir, {persistent: true}, (_event, name) => {
        if (!name) return
        const path = join(dir, name.toString())
        if (only) {
          if (only.has(path)) fire(path)
          return
        }
        if (isScratchFile(basename(path))) return
        try {
          const st = statSync(path)
          if (st.isDirectory()) {
            if (!IGNORED_DIRS.has(basename(path))) walk(path)
            return
          }
          if (ownOutput.has(`${st.dev}:${st.ino}`)) return
        } catch {
          // deleted: a change too
        }
        fire(path)
      })
    } catch {
      return
    }
    w.on('error', () => {
      w.close()
      watchers.delete(dir)
    })
    watchers.set(dir, w)
  }
  const walk = (dir: string) => {
    add(dir)
    let entries: string[]
    try {
      entries = readdirSync(dir)
    } catch {
      return
    }
    for (const e of entries) {
      if (IGNORED_DIRS.has(e)) continue
      const p = join(dir, e)
      try {
        if (statSync(p).isDirectory()) walk(p)
      } catch {
        // vanished meanwhile
      }
    }
  }
  // A watched file is watched through its folder: editors replace files rather than write them.
  if (only) for (const d of new Set([...only].map((f) => dirname(f)))) add(d)
  else walk(opts.root)
  return {
    close() {
      clearTimeout(timer)
      for (const w of watchers.values()) w.close()
      watchers.clear()
    },
  }
}

/** `server.py` or `src/tools/a.py` for a message, relative to the project. */
export function shortPath(root: string, path: string): string {
  const r = relative(root, path)
  return r && !r.startsWith(`..${sep}`) ? r : path
}
