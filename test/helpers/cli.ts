// Run the built CLI (bin/run.js → dist/) as a child process, the way CI and users do.
import {execFile} from 'node:child_process'
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

/**
 * Run `kaos ARGS…` with CI=true, stdin closed (or fed `input`), no kube context, no user registry.
 * `env` adds to (or, with undefined values, removes from) the child's environment.
 */
export function runCli(args: string[], opts: {cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; input?: string} = {}): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'kaos-cli-home-'))
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
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], {cwd: opts.cwd ?? ROOT, env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024}, (err, stdout, stderr) => {
      rmSync(home, {recursive: true, force: true})
      if (err && typeof (err as NodeJS.ErrnoException).code !== 'number' && (err as {killed?: boolean}).killed) {
        reject(new Error(`kaos ${args.join(' ')} timed out\nstderr:\n${stderr}`))
        return
      }
      const code = err ? Number((err as {code?: number}).code ?? 1) : 0
      // Colour may still be forced by a library that detects CI; tests compare plain text.
      const plain = (t: string) => t.replace(/\x1B\[[0-9;]*m/g, '')
      resolve({code, stdout: plain(stdout), stderr: plain(stderr), ...parseErrorOutput(plain(stderr))})
    })
    child.stdin?.on('error', () => {}) // the CLI may exit before reading stdin
    child.stdin?.end(opts.input ?? '')
  })
}

/** A fresh temporary directory; remove it with `rmSync(dir, {recursive: true})`. */
export function tempDir(prefix = 'kaos-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}
