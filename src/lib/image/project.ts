// Pure planning for `kaos mcp build` and `kaos mcp init`: what kind of project a folder holds,
// the image reference a build produces, and the Dockerfile kaos generates. No Docker, no network.
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {invalid} from '../errors.js'

export type ProjectType = 'python' | 'typescript'

/** Pinned defaults: a moving base tag would make two builds of one commit differ. */
export const DEFAULT_BASE_IMAGES: Record<ProjectType, string> = {
  python: 'python:3.12-slim-bookworm',
  typescript: 'node:20-bookworm-slim',
}

/** The port, path and user every generated image uses (the `custom` runtime expects 8000 and /mcp). */
export const IMAGE_PORT = 8000
export const MCP_PATH = '/mcp'
export const IMAGE_UID = 10001
/** kaos's own per-project state; never part of a build context. */
export const KAOS_DIR = '.kaos'

export interface ProjectInfo {
  dir: string
  type?: ProjectType
  /** From pyproject.toml `[project] name` or package.json `name`. */
  name?: string
  version?: string
  /** Project files found, for messages. */
  manifest?: 'pyproject.toml' | 'requirements.txt' | 'package.json'
  dockerfile?: string
  /** package.json `main`, the Node entry point. */
  main?: string
}

/**
 * Read the `[project]` table's `name` and `version` from pyproject.toml text. Only these two
 * string keys are needed, so this is a small line reader rather than a full TOML parser.
 */
export function parsePyprojectMeta(text: string): {name?: string; version?: string} {
  const out: {name?: string; version?: string} = {}
  let inProject = false
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim()
    const table = /^\[\s*([^\]]+?)\s*\]$/.exec(line)
    if (table) {
      inProject = table[1] === 'project'
      continue
    }
    if (!inProject) continue
    const kv = /^(name|version)\s*=\s*(?:"([^"]*)"|'([^']*)')$/.exec(line)
    if (kv) out[kv[1] as 'name' | 'version'] = kv[2] ?? kv[3]
  }
  return out
}

/** What a folder holds: Python (pyproject.toml / requirements.txt) or TypeScript/Node (package.json). */
export function detectProject(dir: string): ProjectInfo {
  const info: ProjectInfo = {dir}
  if (existsSync(join(dir, 'Dockerfile'))) info.dockerfile = 'Dockerfile'
  if (existsSync(join(dir, 'pyproject.toml'))) {
    const meta = parsePyprojectMeta(readFileSync(join(dir, 'pyproject.toml'), 'utf8'))
    return {...info, type: 'python', manifest: 'pyproject.toml', ...meta}
  }
  if (existsSync(join(dir, 'package.json'))) {
    let pkg: {name?: unknown; version?: unknown; main?: unknown}
    try {
      pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    } catch (error) {
      throw invalid(`${join(dir, 'package.json')} is not valid JSON: ${(error as Error).message}`)
    }
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined)
    return {...info, type: 'typescript', manifest: 'package.json', name: str(pkg.name), version: str(pkg.version), main: str(pkg.main)}
  }
  if (existsSync(join(dir, 'requirements.txt'))) return {...info, type: 'python', manifest: 'requirements.txt'}
  return info
}

/**
 * A DNS-1123 label from a package or folder name (`@acme/My_Server` → `my-server`), or undefined
 * when nothing usable is left. MCPServer names become Kubernetes names, so the build record keeps this form.
 */
export function toResourceName(raw: string | undefined): string | undefined {
  if (!raw) return undefined
  const base = raw.replace(/^@[^/]+\//, '')
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 53)
    .replace(/-+$/, '')
  return name || undefined
}

/** The name a build uses: --name, else the manifest's name, else the folder's. */
export function projectName(info: ProjectInfo, flagName?: string): string {
  if (flagName) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(flagName) || flagName.length > 53)
      throw invalid(`--name "${flagName}" must be a DNS-1123 label (lowercase letters, digits, "-"; at most 53 characters)`, [`For example --name ${toResourceName(flagName) ?? 'my-server'}`])
    return flagName
  }
  const name = toResourceName(info.name) ?? toResourceName(basename(info.dir))
  if (!name) throw invalid(`cannot derive a name for the project in ${info.dir}`, ['Give one with --name.'])
  return name
}

const TAG = /^[\w][\w.-]{0,127}$/

/** `--build-arg K=V` flags as Docker's buildargs map. */
export function parseBuildArgs(args: string[] = []): Record<string, string> {
  const out: Record<string, string> = {}
  for (const a of args) {
    const at = a.indexOf('=')
    if (at <= 0) throw invalid(`--build-arg "${a}": expected KEY=VALUE`, ['For example --build-arg PIP_INDEX_URL=https://pypi.example.com/simple'])
    out[a.slice(0, at)] = a.slice(at + 1)
  }
  return out
}

/**
 * The image a build produces: `[<registry>/]<name>:<tag>`, the tag being --tag, else the project's
 * version, else `sha-<first 12 hex of the context hash>`. `latest` is refused: a moving tag makes
 * `imagePullPolicy: IfNotPresent` serve stale images.
 */
export function imageReference(opts: {name: string; tag?: string; version?: string; registry?: string; contextHash?: string}): string {
  let tag = opts.tag ?? (opts.version ? opts.version.replace(/\+/g, '-') : undefined)
  if (!tag) {
    if (!opts.contextHash) throw new Error('imageReference: no tag, version or context hash')
    tag = `sha-${opts.contextHash.slice(0, 12)}`
  }
  if (tag === 'latest') throw invalid('the image tag "latest" is refused: it moves, so clusters keep serving a cached old image', ['Give a version with --tag, e.g. --tag 0.1.0, or omit --tag to use the project version.'])
  if (!TAG.test(tag)) throw invalid(`image tag "${tag}" is not a valid Docker tag (letters, digits, "_", ".", "-"; at most 128)`)
  const registry = opts.registry?.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '')
  return `${registry ? `${registry}/` : ''}${opts.name}:${tag}`
}

/** The registry host of an image reference, or undefined for Docker Hub short names (`name:tag`, `user/name:tag`). */
export function registryHost(ref: string): string | undefined {
  const first = ref.split('/')[0]
  if (!ref.includes('/')) return undefined
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined
}

/** `repo:tag` split the way Docker does (a colon after the last slash starts the tag). */
export function splitReference(ref: string): {repo: string; tag: string} {
  const at = ref.lastIndexOf(':')
  if (at > ref.lastIndexOf('/')) return {repo: ref.slice(0, at), tag: ref.slice(at + 1)}
  return {repo: ref, tag: 'latest'}
}

/** sha256 over (path, mode, content) of the context's files, in path order. */
export function hashContext(files: Array<{path: string; mode: number; content: Buffer | string}>): string {
  const h = createHash('sha256')
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    h.update(`${f.path}\0${(f.mode & 0o777).toString(8)}\0`)
    h.update(f.content)
    h.update('\0')
  }
  return h.digest('hex')
}

/** `module:object` for the FastMCP server (`server:mcp`); also checks the module file exists. */
export function resolveFastmcpPath(dir: string, given?: string): string {
  const check = (spec: string) => {
    const m = /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)(?::([A-Za-z_]\w*))?$/.exec(spec)
    if (!m) throw invalid(`--fastmcp-path "${spec}" must look like module:object, e.g. server:mcp or my_pkg.server:app`)
    const file = m[1].replace(/\./g, '/')
    const candidates = [`${file}.py`, `${file}/__init__.py`, `src/${file}.py`, `src/${file}/__init__.py`]
    if (!candidates.some((c) => existsSync(join(dir, c))))
      throw invalid(`the FastMCP module "${m[1]}" was not found in ${dir} (looked for ${candidates.slice(0, 2).join(', ')})`, ['Point --fastmcp-path at the module that creates the FastMCP object, e.g. --fastmcp-path app.main:mcp'])
    return `${m[1]}:${m[2] ?? 'mcp'}`
  }
  if (given) return check(given)
  for (const candidate of ['server', 'main', 'app']) if (existsSync(join(dir, `${candidate}.py`))) return `${candidate}:mcp`
  throw invalid(`no server.py, main.py or app.py in ${dir} to serve`, ['Give the FastMCP object with --fastmcp-path module:object, or your own --dockerfile.'])
}

/**
 * The launcher the Python image runs: imports the FastMCP object and serves it with streamable
 * HTTP on 0.0.0.0:$PORT at $MCP_PATH. The DNS-rebinding Host allowlist is switched off, because
 * kubelet probes (pod IP), Services (cluster DNS names) and port-forwards (localhost) all send
 * different Host headers and FastMCP would answer 421; MCP_ALLOWED_HOSTS (comma-separated
 * `host:port` patterns) turns it back on with that list. One line, so the Dockerfile needs no
 * extra file and no heredoc (which older builders lack).
 */
export const PYTHON_LAUNCHER = [
  'import importlib,os,sys',
  "sys.path[:0]=['.','src']",
  "m,_,a=os.environ.get('KAOS_FASTMCP_PATH','server:mcp').partition(':')",
  "s=getattr(importlib.import_module(m),a or 'mcp')",
  "st=s.settings;st.host='0.0.0.0';st.port=int(os.environ.get('PORT','8000'));st.streamable_http_path=os.environ.get('MCP_PATH','/mcp')",
  "h=[x.strip() for x in os.environ.get('MCP_ALLOWED_HOSTS','').split(',') if x.strip()]",
  'from mcp.server.transport_security import TransportSecuritySettings as T',
  'st.transport_security=T(enable_dns_rebinding_protection=bool(h),allowed_hosts=h,allowed_origins=[])',
  "s.run(transport='streamable-http')",
].join(';')

export interface DockerfileOptions {
  baseImage?: string
  /** Python: `module:object` of the FastMCP server. */
  fastmcpPath?: string
  /** Python: which manifest holds the dependencies. */
  manifest?: ProjectInfo['manifest']
  /** Node: the entry point (package.json `main`). */
  main?: string
  /** Written into the header comment. */
  generator?: string
}

/** The Dockerfile kaos generates when the project has none. */
export function generateDockerfile(type: ProjectType, opts: DockerfileOptions = {}): string {
  return type === 'python' ? pythonDockerfile(opts) : nodeDockerfile(opts)
}

function header(opts: DockerfileOptions): string[] {
  return [`# Generated by ${opts.generator ?? 'kaos mcp build'}. Edit it freely; kaos uses a Dockerfile it finds in the project as is.`]
}

function pythonDockerfile(opts: DockerfileOptions): string {
  const base = opts.baseImage ?? DEFAULT_BASE_IMAGES.python
  const fastmcp = opts.fastmcpPath ?? 'server:mcp'
  // Dependencies are read from pyproject.toml by Python's own TOML reader (tomllib, Python 3.11+)
  // and installed before the code is copied, so editing the code reuses the dependency layer.
  const deps =
    opts.manifest === 'requirements.txt'
      ? ['COPY requirements.txt ./', 'RUN pip install --no-cache-dir -r requirements.txt']
      : [
          'COPY pyproject.toml ./',
          `RUN python -c "import subprocess,sys,tomllib; d=tomllib.load(open('pyproject.toml','rb')).get('project',{}).get('dependencies',[]); d and subprocess.check_call([sys.executable,'-m','pip','install','--no-cache-dir',*d])"`,
        ]
  return [
    ...header(opts),
    `FROM ${base}`,
    'ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1',
    'WORKDIR /app',
    '# Dependencies first, in their own cached layer: code edits do not reinstall them.',
    ...deps,
    'COPY . .',
    '# Numeric non-root user, so Kubernetes runAsNonRoot can verify it.',
    `USER ${IMAGE_UID}:${IMAGE_UID}`,
    `ENV PORT=${IMAGE_PORT} MCP_PATH=${MCP_PATH} KAOS_FASTMCP_PATH=${fastmcp}`,
    `EXPOSE ${IMAGE_PORT}`,
    '# Streamable HTTP on 0.0.0.0:$PORT at $MCP_PATH; the Host allowlist is off (MCP_ALLOWED_HOSTS turns it on).',
    `CMD ${JSON.stringify(['python', '-c', PYTHON_LAUNCHER])}`,
    '',
  ].join('\n')
}

function nodeDockerfile(opts: DockerfileOptions): string {
  const base = opts.baseImage ?? DEFAULT_BASE_IMAGES.typescript
  const main = opts.main ?? 'dist/server.js'
  return [
    ...header(opts),
    `FROM ${base}`,
    'WORKDIR /app',
    '# Dependencies first, in their own cached layer: code edits do not reinstall them.',
    'COPY package*.json ./',
    'RUN if [ -f package-lock.json ]; then npm ci; else npm install; fi',
    'COPY . .',
    'RUN npm run build --if-present && npm prune --omit=dev',
    `USER ${IMAGE_UID}:${IMAGE_UID}`,
    `ENV NODE_ENV=production HOST=0.0.0.0 PORT=${IMAGE_PORT} MCP_PATH=${MCP_PATH}`,
    `EXPOSE ${IMAGE_PORT}`,
    `CMD ${JSON.stringify(['node', main])}`,
    '',
  ].join('\n')
}

/**
 * The kind cluster a kube context names: that of a `kind-<name>` context (--context, else the
 * kubeconfig's current-context), else kind's default `kind` (chooseKindCluster asks further).
 */
export function kindClusterName(opts: {context?: string; kubeconfigText?: string}): {cluster: string; from: string} {
  let context = opts.context
  let from = '--context'
  if (!context && opts.kubeconfigText) {
    context = /^current-context:\s*["']?([^"'\s#]+)/m.exec(opts.kubeconfigText)?.[1]
    from = 'the current kube context'
  }
  if (context?.startsWith('kind-') && context.length > 5) return {cluster: context.slice(5), from: `${from} ${context}`}
  return {cluster: 'kind', from: "kind's default"}
}
