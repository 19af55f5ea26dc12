
import {
  API_VERSION,
  type AgentDoc,
  type AnyDoc,
  type EnvVar,
  type KaosDoc,
  type Kind,
  type Manifests,
  type MCPServerDoc,
  type ModelAPIDoc,
  TOPIC_OF,
  parseDocument,
  parseDocuments,
  parseKeyValues,
  parseManifests,
} from './documents.js'
import {isCatalogKind} from './catalog.js'
import type {BuildRecord} from './image/record.js'
import {invalid} from './errors.js'
import {DOCUMENT_EXTENSIONS, documentFilesIn, readInputFile, readStdin, statInput} from './files.js'

/** The texts `-f` names: files, `-` for stdin, or folders (their document files in name order). */
function readInputs(files: string[], opts: {recursive?: boolean; stdin?: () => string}): Array<{text: string; source: string}> {
  const out: Array<{text: string; source: string}> = []
  for (const f of files) {
    if (f === '-') {
      out.push({text: (opts.stdin ?? readStdin)(), source: '<stdin>'})
      continue
    }
    if (statInput(f, '-f').isDirectory()) {
      const inDir = documentFilesIn(f, opts.recursive)
      if (inDir.length === 0)
        throw invalid(`-f ${f} is a folder with no ${DOCUMENT_EXTENSIONS.join(', ')} files${opts.recursive ? '' : ' (subfolders are read with -R)'}`, ['Point -f at a document file, or at a folder of them.'])
      for (const p of inDir) out.push({text: readInputFile(p, '-f'), source: p})
      continue
    }
    out.push({text: readInputFile(f, '-f'), source: f})
  }
  return out
}

/**
 * Read `-f` inputs: files, `-` for stdin, or a folder, whose .yaml, .yml and .json files are read
 * in name order as kubectl does (`recursive`: subfolders too). Each input is at most 4 MiB;
 * FIFOs and devices are refused rather than read without end.
 */
export function readDocumentFiles(files: string[], opts: {recursive?: boolean; stdin?: () => string} = {}): AnyDoc[] {
  return readInputs(files, opts).flatMap(({text, source}) => parseDocuments(text, source))
}

/** `kaos apply -f`: kaos documents of every kind plus plain Namespaces (see parseManifests). */
export function readManifestFiles(files: string[], opts: {recursive?: boolean; stdin?: () => string} = {}): Manifests {
  const out: Manifests = {docs: [], namespaces: [], rbac: [], warnings: []}
  for (const {text, source} of readInputs(files, opts)) {
    const m = parseManifests(text, source)
    out.docs.push(...m.docs)
    out.namespaces.push(...m.namespaces)
    out.rbac.push(...m.rbac)
    out.warnings.push(...m.warnings)
  }
  const seen = new Set<string>()
  for (const n of out.namespaces) {
    if (seen.has(n.metadata.name)) throw invalid(`Namespace "${n.metadata.name}" appears twice in the input`, ['Keep one Namespace document per namespace.'])
    seen.add(n.metadata.name)
  }
  return out
}

/**
 * Refuse documents of another kind, pointing at the command that handles them. `kaos mcp deploy`
 * also takes MCPTool, MCPPrompt and MCPResource documents (what its gateways serve).
 */
export function requireKind(docs: AnyDoc[], kind: Kind): void {
  const other = docs.find((d) => d.kind !== kind && !(kind === 'MCPServer' && isCatalogKind(d.kind)))
  if (!other) return
  const how = isCatalogKind(other.kind)
    ? `Use \`kaos mcp deploy -f\` (with the gateway that serves them), \`kaos mcp ${other.kind.slice(3).toLowerCase()} apply -f\` or \`kaos apply -f\` for ${other.kind} documents.`
    : `Use \`kaos apply -f\` for files with several kinds (it applies them in dependency order), or \`kaos ${TOPIC_OF[other.kind]} deploy -f\` for ${other.kind} documents.`
  throw invalid(`${other.kind} "${other.metadata.name}" cannot be deployed with \`kaos ${TOPIC_OF[kind]} deploy\``, [how])
}

/**
 * `SECRET/KEY` (or `SECRET:KEY`) → a secretKeyRef; `what` names the flag in errors, `alias` the
 * other spelling the user may have typed (oclif does not say which one it was).
 */
export function parseSecretKeyRef(ref: string, what: string, alias?: string): {secretKeyRef: {name: string; key: string}} {
  const m = /^([a-z0-9][-a-z0-9.]*)[/:]([-._a-zA-Z0-9]+)$/.exec(ref)
  // `what` is a flag (`--api-key-secret`) or a flag with its key (`--secret-env NAME=`).
  const flag = what.endsWith('=') ? what : `${what} `
  if (!m)
    throw invalid(`${alias ? `${what} (or ${alias}) ` : flag}${ref}: expected SECRET/KEY or SECRET:KEY (a Secret name and a key in it)`, [
      `For example ${flag}slack/bot-token${alias ? ` or ${alias} slack:bot-token` : ''}`,
    ])
  return {secretKeyRef: {name: m[1], key: m[2]}}
}

/** `--env K=V` plain values and `--secret-env K=SECRET/KEY` references. */
export function envFromFlags(env: string[] = [], secretEnv: string[] = []): EnvVar[] {
  const out: EnvVar[] = parseKeyValues(env, '--env').map(([name, value]) => ({name, value}))
  for (const [name, ref] of parseKeyValues(secretEnv, '--secret-env')) out.push({name, valueFrom: parseSecretKeyRef(ref, `--secret-env ${name}=`)})
  return out
}

export interface CommonWorkloadFlags {
  image?: string
  env?: string[]
  'secret-env'?: string[]
  'env-from-secret'?: string[]
  sa?: string
  replicas?: number
  'network-policy'?: boolean
}

/** `--expose ingress|httproute --host H [--tls-secret S] [--ingress-class C] [--gateway NAME[/NAMESPACE]] [--no-auth]`. */
export interface ExposeFlags {
  expose?: string
  host?: string
  'tls-secret'?: string
  'ingress-class'?: string
  gateway?: string
  'no-auth'?: boolean
}

/** The spec.expose the flags describe (checked with the document), or undefined without --expose. */
export function exposeFromFlags(f: ExposeFlags): Record<string, unknown> | undefined {
  const extra = (['host', 'tls-secret', 'ingress-class', 'gateway', 'no-auth'] as const).filter((k) => f[k] !== undefined && f[k] !== false)
  if (!f.expose) {
    if (extra.length > 0) throw invalid(`--${extra[0]} goes with --expose ingress|httproute`, ['For example: --expose ingress --host mcp.example.com'])
    return undefined
  }
  if (!f.host) throw invalid(`--expose ${f.expose} needs --host (the name clients use, e.g. mcp.example.com)`)
  let gateway: Record<string, string> | undefined
  if (f.gateway !== undefined) {
    const [name, namespace, ...rest] = f.gateway.split('/')
    if (!name || rest.length > 0 || namespace === '') throw invalid(`--gateway "${f.gateway}" must be NAME or NAME/NAMESPACE (the Gateway the route attaches to)`)
    gateway = {name, ...(namespace ? {namespace} : {})}
  }
  return {
    type: f.expose,
    host: f.host,
    ...(f['tls-secret'] ? {tlsSecret: f['tls-secret']} : {}),
    ...(f['ingress-class'] ? {ingressClassName: f['ingress-class']} : {}),
    ...(gateway ? {gateway} : {}),
    ...(f['no-auth'] ? {auth: 'none'} : {}),
  }
}

function containerFromFlags(f: CommonWorkloadFlags) {
  const env = envFromFlags(f.env, f['secret-env'])
  const envFrom = (f['env-from-secret'] ?? []).map((name) => ({secretRef: {name}}))
  const container = {
    ...(f.image ? {image: f.image} : {}),
    ...(env.length > 0 ? {env} : {}),
    ...(envFrom.length > 0 ? {envFrom} : {}),
  }
  return Object.keys(container).length > 0 ? container : undefined
}

function docFromParts(kind: Kind, name: string, namespace: string | undefined, spec: Record<string, unknown>, f: CommonWorkloadFlags): unknown {
  const container = containerFromFlags(f)
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {name, ...(namespace ? {namespace} : {})},
    spec: {
      ...spec,
      ...(container ? {container} : {}),
      ...(f.sa ? {serviceAccountName: f.sa} : {}),
      ...(f.replicas === undefined ? {} : {replicas: f.replicas}),
      ...(f['network-policy'] === undefined ? {} : {networkPolicy: f['network-policy']}),
    },
  }
}

export interface McpFlags extends CommonWorkloadFlags, ExposeFlags {
  runtime?: string
  arg?: string[]
  params?: string
  'params-file'?: string
}

/** Build an MCPServer document from `kaos mcp deploy NAME --runtime …` flags. */
export function mcpServerFromFlags(name: string, f: McpFlags): MCPServerDoc {
  // --image alone is the custom runtime, as upstream KAOS's `kaos mcp deploy --name N --image I` has it.
  if (!f.runtime && f.image) f = {...f, runtime: 'custom'}
  if (!f.runtime) throw invalid('--runtime is required when no -f file is given', ['For example: kaos mcp deploy NAME --runtime rawpython --params-file tools.py, or NAME --image IMAGE (your own server)'])
  if (f.params !== undefined && f['params-file']) throw invalid('--params and --params-file are mutually exclusive', ['Give one of them.'])
  let params = f.params
  if (f['params-file']) params = readInputFile(f['params-file'], '--params-file')
  const expose = exposeFromFlags(f)
  const spec = {runtime: f.runtime, ...(params === undefined ? {} : {params}), ...(expose ? {expose} : {})}
  const doc = docFromParts('MCPServer', name, undefined, spec, f) as {spec: {container?: Record<string, unknown>}}
  // Like a container's args: they replace the runtime's defaults (a stdio server's go after its command).
  if (f.arg?.length) doc.spec.container = {...doc.spec.container, args: f.arg}
  return parseDocument(doc, `NAME "${name}"`) as MCPServerDoc
}

export interface AgentFlags extends CommonWorkloadFlags, ExposeFlags {
  'model-api'?: string
  model?: string
  'mcp-server'?: string[]
  peer?: string[]
  description?: string
  instructions?: string
  'system-prompt'?: string
  'max-steps'?: number
}

/** Build an Agent document from flags. */
export function agentFromFlags(name: string, f: AgentFlags): AgentDoc {
  if (!f['model-api'] || !f.model) throw invalid('--model-api and --model are required when no -f file is given', ['For example: kaos agent deploy NAME --model-api llm --model gpt-4o'])
  const config = {
    ...(f.description ? {description: f.description} : {}),
    ...(f.instructions ? {instructions: f.instructions} : {}),
    ...(f['system-prompt'] ? {systemPrompt: f['system-prompt']} : {}),
    ...(f['max-steps'] ? {reasoningLoopMaxSteps: f['max-steps']} : {}),
  }
  const spec: Record<string, unknown> = {
    modelAPI: f['model-api'],
    model: f.model,
    mcpServers: f['mcp-server'] ?? [],
    ...(f.peer?.length ? {agentNetwork: {access: f.peer}} : {}),
    ...(Object.keys(config).length > 0 ? {config} : {}),
  }
  const expose = exposeFromFlags(f)
  if (expose) spec.expose = expose
  return parseDocument(docFromParts('Agent', name, undefined, spec, f), `NAME "${name}"`) as AgentDoc
}

export interface ModelAPIFlags extends CommonWorkloadFlags {
  mode?: string
  /** Upstream KAOS's --backend: litellm (Proxy) or ollama (Hosted). */
  backend?: string
  model?: string[]
  provider?: string
  'api-base'?: string
  'api-key-secret'?: string
}

/** Build a ModelAPI document from flags. */
export function modelAPIFromFlags(name: string, f: ModelAPIFlags): ModelAPIDoc {
  const given = f.mode ?? (f.backend === 'litellm' ? 'Proxy' : f.backend === 'ollama' ? 'Hosted' : undefined)
  const mode = given?.toLowerCase() === 'hosted' ? 'Hosted' : given?.toLowerCase() === 'proxy' ? 'Proxy' : undefined
  if (!mode)
    throw invalid(`--mode must be Proxy or Hosted${f.mode ? ` (got "${f.mode}")` : ''}`, [
      'For example: kaos modelapi deploy llm --mode Proxy --model gpt-4o --provider openai (upstream KAOS\'s --backend litellm|ollama works too)',
    ])
  if (!f.model?.length) throw invalid('--model is required', ['Proxy: one --model per model to expose; Hosted: the Ollama model to pull.'])
  let spec: Record<string, unknown>
  if (mode === 'Hosted') {
    if (f.model.length > 1) throw invalid('mode Hosted serves one model; give --model once')
    spec = {mode, hostedConfig: {model: f.model[0]}}
  } else {
    let apiKey: unknown
    if (f['api-key-secret']) apiKey = {valueFrom: parseSecretKeyRef(f['api-key-secret'], '--api-key-secret', '--api-secret')}
    spec = {
      mode,
      proxyConfig: {models: f.model, ...(f.provider ? {provider: f.provider} : {}), ...(f['api-base'] ? {apiBase: f['api-base']} : {}), ...(apiKey ? {apiKey} : {})},
    }
  }
  return parseDocument(docFromParts('ModelAPI', name, undefined, spec, f), `NAME "${name}"`) as ModelAPIDoc
}

/**
 * The MCPServer `kaos mcp deploy` builds from a record: runtime `custom`, the recorded image,
 * `imagePullPolicy: IfNotPresent` (a kind-loaded image exists only on the nodes). Deploy flags
 * (--image, --env, --runtime …) still apply on top.
 */
export function mcpServerFromBuildRecord(rec: BuildRecord, flags: McpFlags): MCPServerDoc {
  const doc = mcpServerFromFlags(rec.name, {...flags, runtime: flags.runtime ?? 'custom', image: flags.image ?? rec.image})
  doc.spec.container = {...doc.spec.container, imagePullPolicy: doc.spec.container?.imagePullPolicy ?? 'IfNotPresent'}
  // Built from a package: kaos's stdio adapter serves it, whose probes mean "the child answers MCP".
  if (rec.source && !flags.runtime) {
    const probe = (path: string) => ({httpGet: {path, port: 'http'}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3})
    doc.spec.podSpec = {containers: [{name: 'mcp-server', readinessProbe: probe('/readyz'), livenessProbe: {...probe('/healthz'), initialDelaySeconds: 10}}]}
  }
  return doc
}
