// What `kaos mcp run` starts: a project made by `kaos mcp init` (Python FastMCP, or TypeScript
// with the official SDK), or a registry runtime kaos ships the source of (rawpython), served over
// streamable HTTP on this machine. The same conventions as the images kaos builds: $PORT, $HOST,
// $MCP_PATH, the server's Host allowlist set from $MCP_ALLOWED_HOSTS.
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {invalid} from '../errors.js'
import {readInputFile} from '../files.js'
import {MCP_PATH, detectProject, projectName, resolveFastmcpPath} from '../image/project.js'
import {packageRoot} from '../package-root.js'
import type {Runtime} from '../registry.js'
import type {ProcessSpec} from './supervisor.js'

export interface RunOptions {
  host: string
  port: number
  /** The Python to run a Python project or rawpython with. */
  python?: string
  /** `module:object` of the FastMCP server (default: server.py, main.py or app.py, object `mcp`). */
  fastmcpPath?: string
}

export interface RunPlan {
  kind: 'python' | 'typescript' | 'runtime'
  /** For messages: `Python FastMCP project "weather" (server:mcp)`. */
  label: string
  /** The project folder (runtime: the working directory). */
  dir: string
  /** Steps before every start (the TypeScript build); a failing step leaves the server stopped. */
  prepare: ProcessSpec[]
  /** The server, built again for every start (a runtime re-reads its params file). */
  server: () => ProcessSpec
  /** With --reload: these files only (a runtime's params file); else the project folder. */
  watchFiles?: string[]
  url: string
}

/**
 * The launcher `kaos mcp run` gives Python: the FastMCP object the project defines, served with
 * streamable HTTP on $HOST:$PORT at $MCP_PATH. Unlike the image's launcher it binds where it is
 * told (loopback by default) and keeps FastMCP's DNS-rebinding protection on, allowing the Host
 * names in $MCP_ALLOWED_HOSTS and the browser origins in $MCP_ALLOWED_ORIGINS.
 */
export const LOCAL_PYTHON_LAUNCHER = [
  'import importlib,os,sys',
  "sys.path[:0]=['.','src']",
  "m,_,a=os.environ.get('KAOS_FASTMCP_PATH','server:mcp').partition(':')",
  "s=getattr(importlib.import_module(m),a or 'mcp')",
  "st=s.settings;st.host=os.environ.get('HOST','127.0.0.1');st.port=int(os.environ.get('PORT','8000'));st.streamable_http_path=os.environ.get('MCP_PATH','/mcp')",
  "h=[x.strip() for x in os.environ.get('MCP_ALLOWED_HOSTS','').split(',') if x.strip()]",
  "o=[x.strip() for x in os.environ.get('MCP_ALLOWED_ORIGINS','').split(',') if x.strip()]",
  'from mcp.server.transport_security import TransportSecuritySettings as T',
  'st.transport_security=T(enable_dns_rebinding_protection=bool(h),allowed_hosts=h,allowed_origins=o)',
  "s.run(transport='streamable-http')",
].join(';')

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1'])

/** The env every local server gets: where to listen, and (on loopback) which Host names to answer. */
export function serverEnv(opts: RunOptions, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const hostPort = (h: string) => `${h}:${opts.port}`
  // On loopback the Host allowlist stays on (a web page must not reach the server through a
  // rebound DNS name); bound to another address, the caller chose to be reached by other names.
  const allow = LOOPBACK.has(opts.host) ? {MCP_ALLOWED_HOSTS: ['127.0.0.1', 'localhost', '[::1]'].map(hostPort).join(','), MCP_ALLOWED_ORIGINS: 'http://127.0.0.1:*,http://localhost:*'} : {}
  return {...process.env, HOST: opts.host, PORT: String(opts.port), MCP_PATH, ...allow, ...extra}
}

function urlOf(opts: RunOptions): string {
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host
  return `http://${host}:${opts.port}${MCP_PATH}`
}

/** Why `python` cannot import `modules`, or undefined when it can. */
export function pythonImportProblem(python: string, modules: string[], cwd?: string): string | undefined {
  const r = spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join(';')], {cwd, encoding: 'utf8', timeout: 60_000})
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${python} was not found` : `${python} could not be run: ${r.error.message}`
  if (r.status !== 0) return (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).trim()
  return undefined
}

/** The Python of a project: --python, else its .venv or venv, else python3 on the PATH. */
function projectPython(dir: string, given?: string): string {
  if (given) return given
  for (const v of ['.venv', 'venv']) {
    const p = join(dir, v, 'bin', 'python')
    if (existsSync(p)) return p
  }
  return 'python3'
}

/**
 * How to serve the project in `dir`. A folder that is not an MCP project is exit 2 naming what was
 * looked for; a project whose dependencies are missing is exit 2 with the command that installs them.
 */
export function planProject(dirIn: string, opts: RunOptions): RunPlan {
  const dir = resolve(dirIn)
  if (!existsSync(dir)) throw invalid(`${dirIn} does not exist`, ['Give the folder of a project made by `kaos mcp init`.'])
  const info = detectProject(dir)
  if (!info.type)
    throw invalid(`${dirIn} is not an MCP project: kaos mcp run looked for pyproject.toml or requirements.txt (Python, FastMCP) and package.json (TypeScript) in ${dir}`, [
      'Create one with `kaos mcp init NAME`, run it in the project folder, or serve a registry runtime: kaos mcp run --runtime rawpython --params-file tools.py',
    ])
  const name = projectName(info)
  if (info.type === 'python') {
    const fastmcp = resolveFastmcpPath(dir, opts.fastmcpPath)
    const python = projectPython(dir, opts.python)
    const problem = pythonImportProblem(python, ['mcp.server.fastmcp', 'mcp.server.transport_security'], dir)
    if (problem)
      throw invalid(`${python} cannot run the FastMCP project in ${dir}: ${problem}`, [
        `Install its dependencies into that Python (e.g. \`${python} -m pip install -e ${dirIn}\`, or \`pip install 'mcp>=1.10,<2'\`), or give another with --python (a project's .venv is used when it has one).`,
      ])
    return {
      kind: 'python',
      label: `Python FastMCP project "${name}" (${fastmcp})`,
      dir,
      prepare: [],
      server: () => ({command: python, args: ['-c', LOCAL_PYTHON_LAUNCHER], env: serverEnv(opts, {KAOS_FASTMCP_PATH: fastmcp, PYTHONUNBUFFERED: '1'}), cwd: dir, label: python}),
      url: urlOf(opts),
    }
  }
  // TypeScript (or JavaScript): its own build, then `node <main>`, as its image does.
  if (!existsSync(join(dir, 'node_modules'))) throw invalid(`${dir} has no node_modules: its dependencies are not installed`, [`Run \`npm install\` in ${dirIn === '.' ? 'this folder' : dirIn} first.`])
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {scripts?: Record<string, string>}
  const main = info.main ?? 'dist/server.js'
  if (!pkg.scripts?.build && !existsSync(join(dir, main)))
    throw invalid(`${dir}: package.json has no build script and its main (${main}) does not exist`, ['Set "main" to the server\'s entry point, or add a "build" script.'])
  const env = serverEnv(opts)
  return {
    kind: 'typescript',
    label: `TypeScript project "${name}" (${main})`,
    dir,
    prepare: pkg.scripts?.build ? [{command: 'npm', args: ['run', '--silent', 'build'], env, cwd: dir, label: 'npm run build'}] : [],
    server: () => ({command: process.execPath, args: [main], env, cwd: dir, label: `node ${main}`}),
    url: urlOf(opts),
  }
}

/** The source of rawpython shipped in the package, and the requirements it needs. */
export function rawpythonSource(): {server: string; requirements: string; version: string} {
  const dir = join(packageRoot(), 'runtimes', 'rawpython')
  return {server: join(dir, 'server.py'), requirements: join(dir, 'requirements.txt'), version: readFileSync(join(dir, 'VERSION'), 'utf8').trim()}
}

/** The modules rawpython's server.py imports (its requirements.in). */
export const RAWPYTHON_MODULES = ['yaml', 'mcp', 'uvicorn', 'starlette', 'anyio', 'pydantic']

/** The runtime can run here and has params: checked before any Python is looked for or made. */
export function checkRuntimeInput(rt: Runtime, input: {params?: string; paramsFile?: string}): void {
  if (rt.name !== 'rawpython' && rt.kaosImage !== 'rawpython')
    throw invalid(`kaos mcp run serves the rawpython runtime from source; runtime "${rt.name}" runs only in a cluster (image ${rt.image ?? 'of your own'})`, [
      `Deploy it with \`kaos mcp deploy NAME --runtime ${rt.name}\`, or run its image yourself and use \`kaos mcp invoke --url\`.`,
    ])
  if (input.params !== undefined && input.paramsFile) throw invalid('--params and --params-file are mutually exclusive', ['Give one of them.'])
  if (input.params === undefined && !input.paramsFile) throw invalid(`runtime "${rt.name}" needs params: the Python functions that become tools`, ['Pass --params-file tools.py (or --params TEXT).'])
  if (input.paramsFile) readInputFile(input.paramsFile, '--params-file')
}

/**
 * A registry runtime, run from source: only rawpython, whose server kaos ships. Its params come
 * from `paramsFile` (read again on every start, and watched with --reload) or `params`.
 */
export function planRuntime(rt: Runtime, input: {params?: string; paramsFile?: string}, opts: RunOptions & {python: string}): RunPlan {
  checkRuntimeInput(rt, input)
  const paramsFile = input.paramsFile ? resolve(input.paramsFile) : undefined
  // Read again for every start: with --reload, a changed file is the point.
  const readParams = () => (paramsFile ? readInputFile(paramsFile, '--params-file') : input.params!)
  readParams()
  const src = rawpythonSource()
  const paramsEnv = rt.paramsEnvVar ?? 'MCP_TOOLS_STRING'
  return {
    kind: 'runtime',
    label: `runtime "${rt.name}" ${src.version} from source${paramsFile ? ` (tools from ${input.paramsFile})` : ''}`,
    dir: process.cwd(),
    prepare: [],
    server: () => ({command: opts.python, args: [src.server], env: serverEnv(opts, {...rt.env, [paramsEnv]: readParams(), PYTHONUNBUFFERED: '1'}), cwd: process.cwd(), label: `rawpython (${opts.python})`}),
    watchFiles: paramsFile ? [paramsFile] : undefined,
    url: urlOf(opts),
  }
}
