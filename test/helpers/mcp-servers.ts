// Real MCP servers on 127.0.0.1 for the MCP client tests: the reference "everything" server
// (npm @modelcontextprotocol/server-everything, streamable HTTP mode, installed once into a cache
// dir) and kaos's own rawpython runtime (python3 runtimes/rawpython/server.py with a venv).
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync} from 'node:fs'
import net from 'node:net'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {ROOT} from './cli.js'

export const EVERYTHING_VERSION = '2026.8.31'

const CACHE = process.env.KAOS_TESTBED_CACHE ?? join(homedir(), '.cache', 'kaos-testbed')

export interface RunningServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:40123/mcp */
  url: string
  port: number
  child: ChildProcess
  /** Output so far (for failure messages). */
  output: () => string
  stop: () => Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** Why the everything server cannot run, or undefined once it is installed. */
export function everythingUnavailable(): string | undefined {
  try {
    everythingEntry()
    return undefined
  } catch (error) {
    const msg = `cannot install @modelcontextprotocol/server-everything@${EVERYTHING_VERSION}: ${(error as Error).message.split('\n')[0]}`
    if (process.env.CI) throw new Error(`CI: ${msg}`)
    return msg
  }
}

/** Install the everything server into the cache once; returns its entry script. */
export function everythingEntry(): string {
  const dir = join(CACHE, `server-everything-${EVERYTHING_VERSION}`)
  const entry = join(dir, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js')
  if (existsSync(entry)) return entry
  mkdirSync(dir, {recursive: true})
  execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', `@modelcontextprotocol/server-everything@${EVERYTHING_VERSION}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 240_000,
  })
  if (!existsSync(entry)) throw new Error(`npm install did not produce ${entry}`)
  return entry
}

/** A venv with the rawpython runtime's requirements: $KAOS_VENV, .venv-rawpython or the pod runner's. */
export function rawpythonPython(): string | undefined {
  const candidates = [process.env.KAOS_VENV, join(ROOT, '.venv-rawpython'), join(CACHE, 'runner', 'venv-rawpython')].filter(Boolean) as string[]
  for (const v of candidates) {
    const py = join(v, 'bin', 'python')
    if (existsSync(py)) return py
    if (existsSync(`${py}3`)) return `${py}3`
  }
  return undefined
}

export function rawpythonUnavailable(): string | undefined {
  if (rawpythonPython()) return undefined
  const msg = 'no rawpython venv (run runtimes/rawpython/test.sh or test/cluster/runner-deps rawpython)'
  if (process.env.CI) throw new Error(`CI: ${msg}`)
  return msg
}

async function startProcess(cmd: string, args: string[], env: Record<string, string>, port: number, path: string, ready: (out: string) => boolean | Promise<boolean>): Promise<RunningServer> {
  const child = spawn(cmd, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const deadline = Date.now() + 30_000
  while (!(await ready(out))) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited with ${child.exitCode}:\n${out}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${cmd} did not start in 30 s:\n${out}`)
    }
    await sleep(50)
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    try {
      process.kill(-child.pid!, 'SIGTERM')
    } catch {
      return
    }
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // gone
      }
    }, 3000)
    await exited
    clearTimeout(t)
  }
  return {url: `http://127.0.0.1:${port}${path}`, port, child, output: () => out, stop}
}

/** The everything server in streamable HTTP mode on a free port. */
export async function startEverything(): Promise<RunningServer> {
  const entry = everythingEntry()
  const port = await freePort()
  return startProcess(process.execPath, [entry, 'streamableHttp'], {PORT: String(port)}, port, '/mcp', (o) => o.includes('listening on port'))
}

/** The everything server in the legacy SSE transport (GET /sse + POST /message) on a free port. */
export async function startEverythingSse(): Promise<RunningServer> {
  const entry = everythingEntry()
  const port = await freePort()
  return startProcess(process.execPath, [entry, 'sse'], {PORT: String(port)}, port, '/sse', (o) => o.includes('running on port'))
}

/** The rawpython runtime serving `code` (Python source whose functions become tools). */
export async function startRawpython(code: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const py = rawpythonPython()
  if (!py) throw new Error('no rawpython venv')
  const port = await freePort()
  const healthy = async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok
    } catch {
      return false
    }
  }
  return startProcess(py, [join(ROOT, 'runtimes', 'rawpython', 'server.py')], {MCP_TOOLS_STRING: code, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'WARNING', ...env}, port, '/mcp', healthy)
}
