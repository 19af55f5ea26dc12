// The Python `kaos mcp run --runtime rawpython` runs server.py with: one given with --python (it
// must import rawpython's dependencies), else a virtualenv kaos makes once per rawpython version
// in the user's cache, with exactly the pinned, hashed requirements the image installs.
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, rmSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {invalid} from '../errors.js'
import {RAWPYTHON_MODULES, pythonImportProblem, rawpythonSource} from './plan.js'

/** `${XDG_CACHE_HOME:-~/.cache}/kaos/rawpython-<version>`. */
export function rawpythonVenv(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kaos', `rawpython-${rawpythonSource().version}`)
}

function run(cmd: string, args: string[], onLine: (line: string) => void): Promise<{code: number | null; tail: string[]}> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe']})
    const tail: string[] = []
    const take = (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        tail.push(line)
        if (tail.length > 10) tail.shift()
        onLine(line)
      }
    }
    child.stdout!.on('data', take)
    child.stderr!.on('data', take)
    child.once('error', (e) => resolve({code: 127, tail: [...tail, e.message]}))
    child.once('exit', (code) => resolve({code, tail}))
  })
}

/**
 * The Python for rawpython: `given` when it imports rawpython's modules; else the cached venv,
 * made on first use from `python3` (≥ 3.10) with `pip install --require-hashes` of the pinned
 * requirements (a download, said on stderr). Exit 2 with the manual commands when that fails.
 */
export async function rawpythonPython(opts: {given?: string; env?: NodeJS.ProcessEnv; note: (line: string) => void}): Promise<string> {
  const src = rawpythonSource()
  const manual = `python3 -m venv VENV && VENV/bin/pip install --require-hashes -r ${src.requirements}, then --python VENV/bin/python`
  if (opts.given) {
    const problem = pythonImportProblem(opts.given, RAWPYTHON_MODULES)
    if (problem) throw invalid(`${opts.given} cannot run rawpython: ${problem}`, [`Install its pinned requirements: ${opts.given} -m pip install --require-hashes -r ${src.requirements}`])
    return opts.given
  }
  const venv = rawpythonVenv(opts.env)
  const python = join(venv, 'bin', 'python')
  if (existsSync(python) && !pythonImportProblem(python, RAWPYTHON_MODULES)) return python
  const base = 'python3'
  const version = pythonImportProblem(base, ['sys; assert sys.version_info >= (3, 10), "Python " + sys.version.split()[0] + " is older than 3.10"'])
  if (version) throw invalid(`rawpython needs Python 3.10 or later, and ${base}: ${version}`, [`Install Python ≥ 3.10, or give one with --python (${manual}).`])
  opts.note(`setting up rawpython's Python in ${venv} (once per rawpython version: pip install of its pinned, hashed requirements)`)
  // Made in place (a venv's scripts name their folder), and only used once its imports work.
  rmSync(venv, {recursive: true, force: true})
  mkdirSync(join(venv, '..'), {recursive: true})
  const steps: Array<[string, string[]]> = [
    [base, ['-m', 'venv', venv]],
    [python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--require-hashes', '--only-binary=:all:', '-r', src.requirements]],
  ]
  for (const [cmd, args] of steps) {
    const r = await run(cmd, args, () => {})
    if (r.code !== 0) {
      rmSync(venv, {recursive: true, force: true})
      throw invalid(`setting up rawpython's Python failed (${[cmd, ...args.slice(0, 2)].join(' ')} …, exit ${r.code}): ${r.tail.at(-1) ?? ''}`, [`Do it yourself: ${manual}`])
    }
  }
  const problem = pythonImportProblem(python, RAWPYTHON_MODULES)
  if (problem) throw invalid(`rawpython's Python in ${venv} cannot import its modules: ${problem}`, [`Do it yourself: ${manual}`])
  return python
}
