// `kaos samples`: ordinary kaos YAML files shipped with kaos (samples/*.yaml), and the structured
// overrides `samples deploy` applies to their documents before they are validated. Pure: the
// cluster side (a sample's RBAC, deleting what a sample added) is in sample-objects.ts.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'yaml'

import {type Manifests, type RawDocument, manifestsOf, parseYamlDocuments} from './documents.js'
import {invalid} from './errors.js'
import {parseSecretKeyRef} from './inputs.js'
import {LABEL_MANAGED_BY, LABEL_SAMPLE, MANAGED_BY} from './names.js'
import {packageRoot} from './package-root.js'
import type {KubernetesObject} from './render/common.js'
import {didYouMean, didYouMeanText} from './suggest.js'

export interface SampleSecretKey {
  key: string
  /** The environment variable `samples deploy` reads the value from when no --from-literal gives it. */
  env: string
  what: string
}

export interface Sample {
  name: string
  description: string
  /** The MCPServer whose service account gets read-only RBAC in its namespace (`create-rbac --read-only`). */
  readOnlyRbacFor?: string
  /** The Secret the documents read and `samples deploy` creates from --from-literal / the env. */
  secret?: {name: string; keys: SampleSecretKey[]}
}

/** The catalogue; each sample is samples/<name>.yaml. */
export const SAMPLES: Sample[] = [
  {name: 'calculator', description: 'A rawpython MCP server: add, subtract, multiply and divide as tools'},
  {name: 'kubernetes', description: 'The Kubernetes MCP server, read-only, with the RBAC it needs in its namespace', readOnlyRbacFor: 'k8s'},
  {name: 'mock-agent', description: 'An agent on a LiteLLM proxy whose model is a mock (no API key needed)'},
  {name: 'agent-network', description: 'Two agents, one the other\'s peer, and an MCP server, on a mock model'},
  {
    name: 'slack',
    description: 'The Slack MCP server, its Secret created from --from-literal or the environment',
    secret: {
      name: 'slack',
      keys: [
        {key: 'bot-token', env: 'SLACK_BOT_TOKEN', what: 'the bot token (xoxb-…)'},
        {key: 'team-id', env: 'SLACK_TEAM_ID', what: 'the workspace (team) id (T…)'},
      ],
    },
  },
]

export function samplesDir(): string {
  return join(packageRoot(), 'samples')
}

export function sampleFile(sample: Sample): string {
  return join(samplesDir(), `${sample.name}.yaml`)
}

/** The sample called `name`, or exit 2 with a did-you-mean and the list. */
export function findSample(name: string): Sample {
  const s = SAMPLES.find((x) => x.name === name)
  if (s) return s
  const names = SAMPLES.map((x) => x.name)
  throw invalid(`unknown sample "${name}".${didYouMeanText(name, names)} Samples: ${names.join(', ')}`, ['List them with `kaos samples list`.'])
}

/** The sample's file, as a user would copy it. */
export function sampleText(sample: Sample): string {
  return readFileSync(sampleFile(sample), 'utf8')
}

export interface SampleOverrides {
  /** `[Kind/]NAME.path.to[0].field=VALUE`, VALUE read as YAML. */
  set?: string[]
  /** Every ModelAPI's model(s) and every Agent's model. */
  model?: string
  /** Every proxy ModelAPI's provider. */
  provider?: string
  /** `SECRET:KEY` (or SECRET/KEY): every proxy ModelAPI's API key; its mock_response goes. */
  apiSecret?: string
}

type Obj = Record<string, any>

const label = (d: Obj) => `${d.kind} "${d.metadata?.name}"`

function docsOfKind(docs: RawDocument[], kind: string): Obj[] {
  return docs.map((d) => d.value as Obj).filter((v) => v?.kind === kind)
}

/** One `--set` expression, split: the document it names, the path in it, and the value. */
export function parseSetExpression(expr: string): {kind?: string; name: string; path: Array<string | number>; value: unknown} {
  const eq = expr.indexOf('=')
  const example = 'e.g. --set calculator.spec.replicas=2, or --set Agent/assistant.spec.model=gpt-4o'
  if (eq <= 0) throw invalid(`--set ${expr}: expected [KIND/]NAME.PATH=VALUE`, [example])
  const left = expr.slice(0, eq)
  const raw = expr.slice(eq + 1)
  const m = /^(?:([A-Za-z]+)\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)((?:\.[A-Za-z_][\w-]*(?:\[\d+\])*)+)$/.exec(left)
  if (!m) throw invalid(`--set ${expr}: "${left}" is not [KIND/]NAME.PATH (PATH: fields separated by dots, list items as [N])`, [example])
  const path: Array<string | number> = []
  for (const part of m[4].slice(1).split('.')) {
    const [key, ...idx] = part.split('[')
    path.push(key, ...idx.map((i) => Number(i.slice(0, -1))))
  }
  let value: unknown
  try {
    value = raw === '' ? '' : parse(raw)
  } catch (error) {
    throw invalid(`--set ${expr}: the value is not valid YAML: ${(error as Error).message.split('\n')[0]}`, ['Quote a string that YAML would read otherwise: --set NAME.spec.x=\'"value"\''])
  }
  return {kind: m[1], name: m[2], path, value}
}

const pathText = (path: Array<string | number>) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${p}`)).join('')

/** Apply one `--set`: every part of the path but the last must exist in the document. */
function applySet(docs: RawDocument[], expr: string): void {
  const {kind, name, path, value} = parseSetExpression(expr)
  const all = docs.map((d) => d.value as Obj)
  const named = all.filter((d) => d?.metadata?.name === name && (!kind || d.kind === kind))
  if (named.length === 0) {
    const names = [...new Set(all.map((d) => d?.metadata?.name).filter(Boolean))]
    throw invalid(`--set ${expr}: no document named "${name}"${kind ? ` of kind ${kind}` : ''}.${didYouMeanText(name, names)} Documents: ${all.map((d) => `${d.kind}/${d.metadata?.name}`).join(', ')}`)
  }
  if (named.length > 1) throw invalid(`--set ${expr}: "${name}" names ${named.map((d) => d.kind).join(' and ')}; say which`, [`--set ${named[0].kind}/${expr}`])
  const doc = named[0]
  let at: any = doc
  for (const [i, seg] of path.entries()) {
    const last = i === path.length - 1
    const here = pathText(path.slice(0, i + 1))
    if (typeof seg === 'number') {
      if (!Array.isArray(at)) throw invalid(`--set ${expr}: ${label(doc)} ${pathText(path.slice(0, i))} is not a list`)
      if (seg >= at.length) throw invalid(`--set ${expr}: ${label(doc)} has no ${here} (the list has ${at.length} item${at.length === 1 ? '' : 's'})`)
    } else if (!at || typeof at !== 'object' || Array.isArray(at)) {
      throw invalid(`--set ${expr}: ${label(doc)} ${pathText(path.slice(0, i))} is not a mapping`)
    } else if (!last && !(seg in at)) {
      const keys = Object.keys(at)
      const guess = didYouMean(seg, keys)
      throw invalid(`--set ${expr}: ${label(doc)} has no ${here}${guess ? `; did you mean ${guess}?` : ''} (${pathText(path.slice(0, i)) || 'the document'} has ${keys.join(', ') || 'nothing'})`, [
        `If the path is right, set the missing part as a whole, in YAML: --set ${name}.${pathText(path.slice(0, i + 1))}='{…}'`,
      ])
    }
    if (last) at[seg] = value
    else at = at[seg]
  }
}

/** --model, --provider, --api-secret: on the documents that have such a field, or an error saying none has. */
function applyModelOverrides(sample: Sample, docs: RawDocument[], o: SampleOverrides): void {
  const modelAPIs = docsOfKind(docs, 'ModelAPI')
  const proxies = modelAPIs.filter((d) => d.spec?.mode === 'Proxy')
  const agents = docsOfKind(docs, 'Agent')
  if (o.model !== undefined) {
    if (modelAPIs.length === 0 && agents.length === 0) throw invalid(`--model: sample "${sample.name}" has no ModelAPI or Agent to give a model to`)
    for (const d of modelAPIs) {
      if (d.spec?.mode === 'Hosted') d.spec.hostedConfig = {...d.spec.hostedConfig, model: o.model}
      else d.spec.proxyConfig = {...d.spec.proxyConfig, models: [o.model]}
    }
    for (const d of agents) d.spec.model = o.model
  }
  if (o.provider !== undefined) {
    if (proxies.length === 0) throw invalid(`--provider: sample "${sample.name}" has no proxy ModelAPI`)
    for (const d of proxies) d.spec.proxyConfig = {...d.spec.proxyConfig, provider: o.provider}
  }
  if (o.apiSecret !== undefined) {
    if (proxies.length === 0) throw invalid(`--api-secret: sample "${sample.name}" has no proxy ModelAPI`)
    const ref = parseSecretKeyRef(o.apiSecret, '--api-secret')
    for (const d of proxies) {
      // A real key means a real model: the mock would still answer every request.
      const {mock_response: _m, ...params} = d.spec.proxyConfig?.litellmParams ?? {}
      d.spec.proxyConfig = {...d.spec.proxyConfig, apiKey: {valueFrom: ref}, ...(Object.keys(params).length > 0 ? {litellmParams: params} : {})}
      if (Object.keys(params).length === 0) delete d.spec.proxyConfig.litellmParams
    }
  }
}

/**
 * The sample's documents with the overrides applied, then validated like any input (one line
 * naming the document and field on a mistake, exit 2).
 */
export function sampleManifests(sample: Sample, overrides: SampleOverrides = {}): Manifests {
  // Messages name the sample, not a file the user never gave.
  const source = `sample ${sample.name}`
  const raw = parseYamlDocuments(sampleText(sample), source)
  applyModelOverrides(sample, raw, overrides)
  for (const expr of overrides.set ?? []) applySet(raw, expr)
  return manifestsOf(raw, source)
}

/**
 * The Secret a sample reads, from `--from-literal KEY=VALUE` flags and, for keys they leave out,
 * the sample's environment variables. Undefined when none is given: the cluster's Secret is used
 * (the deploy's reference check says when there is none). Some but not all keys is an error.
 */
export function sampleSecret(sample: Sample, literals: string[] = [], env: NodeJS.ProcessEnv = process.env): KubernetesObject | undefined {
  if (!sample.secret) {
    if (literals.length > 0) throw invalid(`--from-literal: sample "${sample.name}" reads no Secret`)
    return undefined
  }
  const {name, keys} = sample.secret
  const known = keys.map((k) => k.key)
  const values: Record<string, string> = {}
  for (const l of literals) {
    const eq = l.indexOf('=')
    // The text may be the secret itself (a forgotten KEY=): never repeat it.
    if (eq <= 0) throw invalid(`--from-literal: expected KEY=VALUE (the value given is not shown)`, [`Keys of Secret "${name}": ${known.join(', ')}`])
    const key = l.slice(0, eq)
    if (!known.includes(key)) throw invalid(`--from-literal ${key}: Secret "${name}" of sample "${sample.name}" has no key "${key}".${didYouMeanText(key, known)} Keys: ${known.join(', ')}`)
    values[key] = l.slice(eq + 1)
  }
  for (const k of keys) if (values[k.key] === undefined && env[k.env]) values[k.key] = env[k.env]!
  const missing = keys.filter((k) => !values[k.key])
  if (missing.length === keys.length) return undefined
  if (missing.length > 0)
    throw invalid(`sample "${sample.name}": Secret "${name}" needs ${missing.map((k) => `${k.key} (${k.what})`).join(' and ')} too`, [
      missing.map((k) => `--from-literal ${k.key}=… or $${k.env}`).join('; '),
    ])
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name, labels: {[LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SAMPLE]: sample.name}},
    type: 'Opaque',
    data: Object.fromEntries(keys.map((k) => [k.key, Buffer.from(values[k.key]).toString('base64')])),
  }
}

/** What `samples list` shows of each sample. */
export interface SampleSummary {
  name: string
  description: string
  documents: Array<{kind: string; name: string}>
  file: string
  /** What `samples deploy` adds: the RBAC, the Secret. */
  adds: string[]
}

export function summarizeSamples(): SampleSummary[] {
  return SAMPLES.map((s) => {
    const raw = parseYamlDocuments(sampleText(s), sampleFile(s))
    const adds = [
      ...(s.readOnlyRbacFor ? [`read-only Role and RoleBinding for mcpserver-${s.readOnlyRbacFor}`] : []),
      ...(s.secret ? [`Secret ${s.secret.name} (${s.secret.keys.map((k) => k.key).join(', ')}) from --from-literal or $${s.secret.keys.map((k) => k.env).join(', $')}`] : []),
    ]
    return {name: s.name, description: s.description, documents: raw.map((d) => ({kind: (d.value as Obj).kind, name: (d.value as Obj).metadata?.name})), file: sampleFile(s), adds}
  })
}
