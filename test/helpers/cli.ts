// Run the built CLI (bin/run.js → dist/) as a child process, the way CI and users do.
import {type ChildProcess, execFile, execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** The error message oclif printed (`Error: …` line, prefix stripped), if any. */
  error?: string
  /** The `Try this:` suggestion lines, if any. */
  suggestions: string[]
}

/**
 * Why CLI tests cannot run (dist/ not built), or undefined. Locally they are skipped with that
 * reason; under CI they run regardless, so a missing build fails loudly instead of passing.
 */
export function cliUnavailable(): string | undefined {
  if (process.env.CI) return undefined
  return existsSync(join(ROOT, 'dist', 'index.js')) ? undefined : 'dist/ is not built: run `npm run build` first'
}

/** Pull the message and suggestions out of oclif's ` ›   Error: …` stderr block. */
export function parseErrorOutput(stderr: string): {error?: string; suggestions: string[]} {
  const lines = stderr.split('\n').map((l) => l.replace(/^\s*›\s{0,3}/, ''))
  const at = lines.findIndex((l) => l.startsWith('Error: '))
  if (at === -1) return {suggestions: []}
  const suggestions = lines.filter((l) => l.startsWith('Try this: ')).map((l) => l.slice('Try this: '.length))
  return {error: lines[at].slice('Error: '.length), suggestions}
}

/** The child's environment: CI=true, no kube context, no user registry, plus `extra` (undefined removes). */
function cliEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('KAOS_') && k !== 'KUBECONFIG') env[k] = v
  Object.assign(env, {
    CI: 'true',
    // One error per line, whatever the terminal: messages are matched whole.
    OCLIF_COLUMNS: '10000',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    KUBECONFIG: join(home, 'no-kubeconfig'),
  })
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

/** Colour may still be forced by a library that detects CI; tests compare plain text. */
const plain = (t: string) => t.replace(/\x1B\[[0-9;]*m/g, '')

/**
 * Run `kaos ARGS…` with CI=true, stdin closed (or fed `input`), no kube context, no user registry.
 * `env` adds to (or, with undefined values, removes from) the child's environment.
 */
export function runCli(args: string[], opts: {cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; input?: string; raw?: boolean} = {}): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'kaos-cli-home-'))
  const env = cliEnv(home, opts.env)
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], {cwd: opts.cwd ?? ROOT, env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024}, (err, stdout, stderr) => {
      rmSync(home, {recursive: true, force: true})
      if (err && typeof (err as NodeJS.ErrnoException).code !== 'number' && (err as {killed?: boolean}).killed) {
        reject(new Error(`kaos ${args.join(' ')} timed out\nstderr:\n${stderr}`))
        return
      }
      const code = err ? Number((err as {code?: number}).code ?? 1) : 0
      // raw: the bytes as the CLI wrote them (for tests about escape sequences).
      const clean = opts.raw ? (t: string) => t : plain
      resolve({code, stdout: clean(stdout), stderr: clean(stderr), ...parseErrorOutput(clean(stderr))})
    })
    child.stdin?.on('error', () => {}) // the CLI may exit before reading stdin
    child.stdin?.end(opts.input ?? '')
  })
}

export interface SpawnedCli {
  child: ChildProcess
  /** The exit, with the time it happened (Date.now()). */
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null; at: number}>
  out: () => {stdout: string; stderr: string}
}

/** Start `kaos ARGS…` (same environment as runCli) and return at once: for signals and timing. */
export function spawnCli(args: string[], opts: {env?: Record<string, string | undefined>; cwd?: string} = {}): SpawnedCli {
  const home = mkdtempSync(join(tmpdir(), 'kaos-cli-home-'))
  const child = spawn(process.execPath, [BIN, ...args], {cwd: opts.cwd ?? ROOT, env: cliEnv(home, opts.env), stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; at: number}>((resolve) =>
    child.on('exit', (code, signal) => {
      const at = Date.now()
      rmSync(home, {recursive: true, force: true})
      resolve({code, signal, at})
    }),
  )
  return {child, exited, out: () => ({stdout: plain(stdout), stderr: plain(stderr)})}
}

/**
 * Run `kaos ARGS…` with stdout and stderr on a pseudo-terminal (util-linux `script`), as a user at
 * a terminal would; returns the raw bytes the terminal received (stdout and stderr together).
 */
export function runCliInTerminal(args: string[], opts: {env?: Record<string, string | undefined>; timeoutMs?: number} = {}): Promise<{code: number; output: string}> {
  const home = mkdtempSync(join(tmpdir(), 'kaos-cli-home-'))
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const command = [process.execPath, BIN, ...args].map(quote).join(' ')
  // CI unset: the CLI is to behave as at a person's terminal.
  const env = cliEnv(home, {CI: undefined, ...opts.env})
  return new Promise((resolve, reject) => {
    execFile('script', ['-qefc', command, '/dev/null'], {cwd: ROOT, env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024}, (err, stdout) => {
      rmSync(home, {recursive: true, force: true})
      if (err && (err as {killed?: boolean}).killed) {
        reject(new Error(`kaos ${args.join(' ')} timed out under script:\n${stdout}`))
        return
      }
      resolve({code: err ? Number((err as {code?: number}).code ?? 1) : 0, output: stdout})
    })
  })
}

/** Is util-linux `script` (a pseudo-terminal for a child) available? The reason when not. */
export function terminalUnavailable(): string | undefined {
  try {
    execFileSync('script', ['--version'], {stdio: 'ignore'})
    return undefined
  } catch {
    const msg = 'util-linux `script` is not installed (apt-get install bsdutils)'
    if (process.env.CI) throw new Error(`CI: ${msg}`)
    return msg
  }
}

/** A fresh temporary directory; remove it with `rmSync(dir, {recursive: true})`. */
export function tempDir(prefix = 'kaos-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}
