import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join, resolve} from 'node:path'
import {parse as parseYaml} from 'yaml'
import {z} from 'zod'

import {EgressSchema} from './egress.js'
import {firstIssue, issueText} from './schema-issues.js'
import {invalid} from './errors.js'
import {readInputFile} from './files.js'
import {imageProblem} from './k8s-values.js'
import {packageRoot} from './package-root.js'
import {kaosVersion} from './version.js'

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be a valid environment variable name')
// A list, never a string: `command: python -m server` would become one argv entry with spaces,
// which no container runtime can exec.
const stringList = z.array(z.string(), {error: (i) => (i.input === undefined ? undefined : 'must be a list of strings, e.g. ["python", "-m", "server"]')})
const image = z.string().superRefine((v, ctx) => {
  const problem = imageProblem(v)
  if (problem) ctx.addIssue({code: 'custom', message: problem})
})

/** One runtime entry, in the seed `runtimes.yaml` format plus kaos's additions. */
export const RuntimeSchema = z.strictObject({
  type: z.enum(['python', 'nodejs', 'go']),
  image: image.optional(),
  description: z.string().default(''),
  command: stringList.optional(),
  args: stringList.optional(),
  port: z.number().int().min(1).max(65535).default(8000),
  path: z.string().startsWith('/').default('/mcp'),
  /** Liveness: a cheap check that the process serves HTTP. */
  healthPath: z.string().startsWith('/').optional(),
  /** Readiness, when it differs from healthPath (e.g. rawpython's /readyz runs a real tools/list). */
  readyPath: z.string().startsWith('/').optional(),
  paramsEnvVar: envName.optional(),
  /** The server cannot start without params (rawpython): a document without them is refused. */
  paramsRequired: z.boolean().optional(),
  // The seed format says `streamable-http` in places; it is the same transport as `http`.
  transport: z
    .enum(['http', 'streamable-http', 'sse', 'stdio'])
    .default('http')
    .transform((t) => (t === 'streamable-http' ? 'http' : t)),
  requiredEnv: z.array(envName).default([]),
  env: z.record(envName, z.string()).default({}),
  /**
   * Bearer tokens the server checks itself. `always` (slack): kaos generates a token for every
   * deploy. `exposed` (rawpython, kaos's stdio adapter): the server checks one only when the
   * variable is set, which kaos does when it exposes the server outside the cluster.
   */
  auth: z
    .strictObject({
      type: z.literal('bearer'),
      tokenEnv: envName,
      when: z.enum(['always', 'exposed']).default('always'),
    })
    .optional(),
  /**
   * Readiness: `mcp` means Ready only when MCP answers (see render/probes.ts for what kaos renders
   * per image); `http` probes readyPath (else healthPath); `tcp` only the port. Default: http
   * when a path is declared, else tcp.
   */
  probe: z.enum(['mcp', 'http', 'tcp']).optional(),
  /**
   * `stateless`: any replica answers any request (no Mcp-Session-Id kept in memory). `sticky`:
   * sessions live in one process, so replicas need the client to come back to the same pod.
   */
  sessions: z.enum(['stateless', 'sticky']).default('sticky'),
  /** What the server connects to, for `--network-policy` (default: any, with a warning). */
  egress: EgressSchema.optional(),
  source: z.string().optional(),
  /** `required`: the workload needs a service account with RBAC (kubernetes runtime). */
  serviceAccount: z.enum(['required', 'optional']).default('optional'),
  /** `container`: the image comes from the document's container.image (custom runtime). */
  imageFrom: z.literal('container').optional(),
  /**
   * One of kaos's own images (built by `kaos system images build`): the image is
   * `<defaults.imageRegistry>/kaos-<kaosImage>:<kaos version>`, so it follows the cluster's choice of
   * registry and kaos's version. An explicit `image` wins.
   */
  kaosImage: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lowercase letters, digits and "-"').optional(),
  /**
   * A stdio server built into an image with kaos's stdio adapter: `npx://PACKAGE@VERSION` or
   * `uvx://PACKAGE@VERSION` (exact versions). Its image is kaos's own `mcp-<runtime>`.
   */
  package: z.string().regex(/^(npx|uvx):\/\/.+@[^@]+$/, 'must be npx://PACKAGE@VERSION or uvx://PACKAGE@VERSION').optional(),
  /** The package's executable, when it has several. */
  packageBin: z.string().optional(),
  /**
   * stdio runtimes: `shared` (one server process for every MCP session; right for stateless
   * servers and those whose state every client should see) or `per-session` (a process per
   * session, killed when the session ends or idles).
   */
  adapterMode: z.enum(['shared', 'per-session']).default('shared'),
  /** Folders the server writes to (an emptyDir each; the image's filesystem stays as built). */
  writableDirs: z.array(z.string().startsWith('/')).default([]),
  /**
   * The server reads kaos's gateway configuration (runtimes/gateway/src/config.ts) from
   * $KAOS_GATEWAY_CONFIG: kaos renders it from the MCPTool, MCPPrompt and MCPResource documents
   * an MCPServer's spec.toolSelector picks and the MCP servers its spec.upstreamSelector picks.
   */
  gateway: z.boolean().optional(),
})

const ImageDefault = z.strictObject({image, port: z.number().int().min(1).max(65535)})

/** Where kaos's own images live when nobody said otherwise: a name no registry serves (build them locally). */
export const DEFAULT_IMAGE_REGISTRY = 'kaos.local'

/** An image registry and optional path, e.g. `ghcr.io/acme`, `localhost:5001`, `kaos.local`. */
export const imageRegistrySchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([-a-z0-9._/]*[a-z0-9])?)?$/, 'must be a registry host with an optional port and path, e.g. ghcr.io/acme or localhost:5001')

export const RegistryFileSchema = z.strictObject({
  runtimes: z.record(z.string(), z.unknown()).default({}),
  defaults: z
    .strictObject({
      /** Registry (and path) of kaos's own images: `kaos system install --image-registry`. */
      imageRegistry: imageRegistrySchema.optional(),
      /** Render a NetworkPolicy for every workload whose document does not say (`spec.networkPolicy`). */
      networkPolicy: z.boolean().optional(),
      agent: ImageDefault.partial().optional(),
      modelAPI: z
        .strictObject({
          proxy: ImageDefault.partial().optional(),
          hosted: ImageDefault.partial().optional(),
        })
        .optional(),
    })
    .optional(),
})

export type RuntimeSpec = z.output<typeof RuntimeSchema>

/** A runtime as kaos uses it: the spec plus where it came from and what it shadows. */
export interface Runtime extends RuntimeSpec {
  name: string
  /** Where this entry came from: `builtin`, `file:<path>`, `cluster:<ns>/<configmap>`, `plugin:<package>`. */
  origin: string
  /** Origins of entries with the same name that this one replaced, earliest first. */
  shadows: string[]
}

export interface ImageDefaults {
  image: string
  port: number
}

export interface Defaults {
  /** Where kaos's own images are pulled from (and pushed to by `kaos system images build --push`). */
  imageRegistry: string
  /** NetworkPolicies for documents that do not say (`spec.networkPolicy`); false unless a source sets it. */
  networkPolicy: boolean
  agent: ImageDefaults
  modelAPI: {proxy: ImageDefaults; hosted: ImageDefaults}
}

export interface Registry {
  runtimes: Map<string, Runtime>
  defaults: Defaults
  /** Non-fatal problems met while building the registry (e.g. a plugin hook that failed). */
  warnings: string[]
}

/** A parsed registry source before merging. */
export interface RegistrySource {
  origin: string
  runtimes: Record<string, RuntimeSpec>
  defaults?: z.output<typeof RegistryFileSchema>['defaults']
}

/**
 * Validate a registry document (already parsed from YAML). Errors name the origin, the runtime
 * and the field, e.g. `registry file:/x.yaml: runtime "foo": field "port": expected number`.
 */
export function parseRegistry(doc: unknown, origin: string): RegistrySource {
  if (doc === null || doc === undefined) return {origin, runtimes: {}}
  const file = RegistryFileSchema.safeParse(doc)
  if (!file.success) throw invalid(`registry ${origin}: ${issueText(firstIssue(file.error.issues), '', doc, RegistryFileSchema)}`, ['Fix the registry file; see `kaos system runtimes --help` for the format.'])
  const runtimes: Record<string, RuntimeSpec> = {}
  for (const [name, raw] of Object.entries(file.data.runtimes)) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw invalid(`registry ${origin}: runtime "${name}": name must be lowercase letters, digits and "-"`)
    const r = RuntimeSchema.safeParse(raw)
    if (!r.success) throw invalid(`registry ${origin}: runtime "${name}": ${issueText(firstIssue(r.error.issues), '', raw, RuntimeSchema)}`)
    if (!r.data.image && r.data.imageFrom !== 'container' && !r.data.kaosImage && !r.data.package)
      throw invalid(`registry ${origin}: runtime "${name}": image is required (or set imageFrom: container, kaosImage or package)`)
    if (r.data.package && r.data.transport !== 'stdio') throw invalid(`registry ${origin}: runtime "${name}": a package runtime speaks stdio: set transport: stdio`)
    if (r.data.paramsRequired && !r.data.paramsEnvVar) throw invalid(`registry ${origin}: runtime "${name}": paramsRequired needs paramsEnvVar (the variable the params are passed in)`)
    if (r.data.probe === 'mcp' && r.data.transport === 'sse')
      throw invalid(`registry ${origin}: runtime "${name}": probe: mcp speaks streamable HTTP, and this runtime serves the older HTTP+SSE transport`, ['Use probe: http with a healthPath, or leave probe out.'])
    if (r.data.probe === 'http' && !r.data.readyPath && !r.data.healthPath) throw invalid(`registry ${origin}: runtime "${name}": probe: http needs readyPath or healthPath`)
    runtimes[name] = r.data
  }
  return {origin, runtimes, defaults: file.data.defaults}
}

/** Parse registry YAML text. */
export function parseRegistryYaml(text: string, origin: string): RegistrySource {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (error) {
    throw invalid(`registry ${origin}: not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
  return parseRegistry(doc, origin)
}

/**
 * Read and validate a registry file; a missing path, a folder or a special file is an error
 * naming it and `what` (the flag or variable it came from).
 */
export function loadRegistryFile(path: string, what = '--registry'): RegistrySource {
  const abs = resolve(path)
  return parseRegistryYaml(readInputFile(abs, what), `file:${abs}`)
}

/** Path of the built-in registry shipped in the package. */
export function builtinRegistryPath(): string {
  return join(packageRoot(), 'registry', 'runtimes.yaml')
}

/** Where the build leaves the built-in registry already parsed and validated (see scripts/build.mjs). */
export const BUILTIN_REGISTRY_CACHE = join('dist', 'builtin-registry.json')

let builtinCache: RegistrySource | undefined
/**
 * The built-in registry. Parsing and validating its YAML costs ~20 ms, which every deploy would
 * pay; the build stores the result as JSON next to a hash of the YAML, used while they match.
 */
export function builtinRegistry(): RegistrySource {
  if (builtinCache) return builtinCache
  const text = readFileSync(builtinRegistryPath(), 'utf8')
  const cachePath = join(packageRoot(), BUILTIN_REGISTRY_CACHE)
  if (existsSync(cachePath)) {
    try {
      const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as {sha256: string; source: RegistrySource}
      if (cached.sha256 === createHash('sha256').update(text).digest('hex')) return (builtinCache = cached.source)
    } catch {
      // A damaged cache is only slower: parse the YAML.
    }
  }
  builtinCache = {...parseRegistryYaml(text, 'builtin'), origin: 'builtin'}
  return builtinCache
}

/** The user registry file: `$KAOS_REGISTRY`, else `~/.config/kaos/runtimes.yaml` when it exists. */
export function userRegistryPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KAOS_REGISTRY) return env.KAOS_REGISTRY
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config')
  const p = join(base, 'kaos', 'runtimes.yaml')
  return existsSync(p) ? p : undefined
}

/** Merge sources; later sources win per runtime, and every runtime remembers its origin. */
export function mergeRegistry(sources: RegistrySource[], warnings: string[] = []): Registry {
  const runtimes = new Map<string, Runtime>()
  const defaults: Defaults = {
    imageRegistry: DEFAULT_IMAGE_REGISTRY,
    networkPolicy: false,
    agent: {image: '', port: 8000},
    modelAPI: {proxy: {image: '', port: 8000}, hosted: {image: '', port: 11434}},
  }
  for (const src of sources) {
    for (const [name, spec] of Object.entries(src.runtimes)) {
      const prev = runtimes.get(name)
      runtimes.set(name, {...spec, name, origin: src.origin, shadows: prev ? [...prev.shadows, prev.origin] : []})
    }
    const d = src.defaults
    if (d?.imageRegistry) defaults.imageRegistry = d.imageRegistry
    if (d?.networkPolicy !== undefined) defaults.networkPolicy = d.networkPolicy
    if (d?.agent) Object.assign(defaults.agent, d.agent)
    if (d?.modelAPI?.proxy) Object.assign(defaults.modelAPI.proxy, d.modelAPI.proxy)
    if (d?.modelAPI?.hosted) Object.assign(defaults.modelAPI.hosted, d.modelAPI.hosted)
  }
  // kaos's own images resolve against the merged choice of registry, whichever source made it.
  for (const rt of runtimes.values()) {
    const own = ownImageOf(rt)
    if (own && !rt.image) rt.image = ownImageRef(own, defaults.imageRegistry, packageVersion(rt))
  }
  return {runtimes, defaults, warnings}
}

/** The name of the kaos image a runtime runs (`rawpython`, `mcp-fetch`), if it is one of kaos's own. */
export function ownImageOf(rt: RuntimeSpec & {name: string}): string | undefined {
  return rt.kaosImage ?? (rt.package ? `mcp-${rt.name}` : undefined)
}

/**
 * `<registry>/kaos-<name>:<kaos version>`: tags follow kaos's version, never `latest`. A package
 * runtime's tag adds the package's version, so a new pin is a new image.
 */
export function ownImageRef(name: string, imageRegistry: string, pkgVersion?: string): string {
  return `${imageRegistry}/kaos-${name}:${kaosVersion()}${pkgVersion ? `-${pkgVersion.replace(/[^A-Za-z0-9_.-]/g, '_')}` : ''}`
}

/** The exact version a package runtime pins (`npx://pkg@1.2.3` → `1.2.3`). */
export function packageVersion(rt: {package?: string}): string | undefined {
  return rt.package ? /@([^@]+)$/.exec(rt.package)?.[1] : undefined
}

/**
 * The offline registry: built-in < user file < `--registry` files. Cluster and plugin sources are
 * appended by callers that have them (see `extraSources`).
 */
export function loadRegistry(opts: {files?: string[]; filesWhat?: string; env?: NodeJS.ProcessEnv; userSources?: RegistrySource[]; extraSources?: RegistrySource[]; warnings?: string[]} = {}): Registry {
  const sources = [builtinRegistry()]
  const user = userRegistryPath(opts.env)
  if (user) sources.push(loadRegistryFile(user, (opts.env ?? process.env).KAOS_REGISTRY ? '$KAOS_REGISTRY' : 'the user registry'))
  // Ranked with the user file (kaos's config file): below --registry files.
  sources.push(...(opts.userSources ?? []))
  for (const f of opts.files ?? []) sources.push(loadRegistryFile(f, opts.filesWhat))
  sources.push(...(opts.extraSources ?? []))
  return mergeRegistry(sources, opts.warnings ?? [])
}

/** Serialise merged runtimes back to the seed format (for the cluster ConfigMap). */
export function registryToYamlDoc(reg: Registry): {runtimes: Record<string, RuntimeSpec>; defaults: Defaults} {
  const runtimes: Record<string, RuntimeSpec> = {}
  for (const [name, r] of reg.runtimes) {
    const {name: _n, origin: _o, shadows: _s, ...spec} = r
    // An own image stays symbolic, so the ConfigMap follows --image-registry and kaos's version.
    const own = ownImageOf(r)
    if (own && spec.image === ownImageRef(own, reg.defaults.imageRegistry, packageVersion(r))) delete spec.image
    runtimes[name] = spec
  }
  return {runtimes, defaults: reg.defaults}
}
