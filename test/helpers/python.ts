// Pythons the tests run servers with. FastMCP projects (kaos mcp init's template) need mcp 1.x
// (2.x removed mcp.server.fastmcp); rawpython needs its own pinned requirements (mcp 2.x).
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {ROOT} from './cli.js'

export const FASTMCP_VERSION = '1.30.0'

function imports(python: string, module: string): boolean {
  try {
    execFileSync(python, ['-c', `import ${module}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/**
 * A Python with `mcp.server.fastmcp`: $KAOS_FASTMCP_PYTHON, $KAOS_VENV's, the test bed's cached
 * venv, else one made under the test bed folder (from its wheelhouse or PyPI); or why there is none.
 */
export function fastmcpPython(): {python?: string; why?: string} {
  const testbed = process.env.KAOS_TESTBED_DIR ?? join(ROOT, '.testbed')
  const venv = join(testbed, `venv-mcp${FASTMCP_VERSION}`)
  const candidates = [process.env.KAOS_FASTMCP_PYTHON, process.env.KAOS_VENV && join(process.env.KAOS_VENV, 'bin', 'python'), join(venv, 'bin', 'python')].filter(Boolean) as string[]
  for (const p of candidates) if (existsSync(p) && imports(p, 'mcp.server.fastmcp')) return {python: p}
  try {
    execFileSync('python3', ['-m', 'venv', venv], {stdio: 'pipe'})
    const wheels = join(process.env.KAOS_TESTBED_CACHE || join(homedir(), '.cache', 'kaos-testbed'), `wheels-mcp${FASTMCP_VERSION}`)
    const source = existsSync(wheels) ? ['--no-index', '--find-links', wheels] : []
    execFileSync(join(venv, 'bin', 'pip'), ['install', '-q', ...source, `mcp==${FASTMCP_VERSION}`], {stdio: 'pipe', timeout: 300_000})
  } catch (error) {
    return {why: `cannot create a venv with mcp==${FASTMCP_VERSION}: ${(error as Error).message.split('\n')[0]}`}
  }
  const python = join(venv, 'bin', 'python')
  return imports(python, 'mcp.server.fastmcp') ? {python} : {why: 'mcp installed but not importable'}
}

