// Rendered objects checked against the Kubernetes OpenAPI schema before they are printed,
// written or applied, so a dry run never shows what the API server would refuse.
//
// The schema is Kubernetes 1.33.0's, compiled into validators by `kubernetes-models` 4.5.1
// (pinned: 5.x needs Node 22). It checks types, required fields, enums and formats (int32,
// quantities). The API server checks more than the OpenAPI schema says; the rules kaos
// documents run into are added here: container names, image references, envFrom names,
// duplicate env names, one handler per probe and lifecycle handler, label values and the 256 KiB
// annotation limit.
//
// Loaded only by commands that render (deploy, dry run, --output-dir): ~0.9 MB of validators
// stay off every other command's startup.
import {Deployment} from 'kubernetes-models/apps/v1/Deployment'
import {Ingress} from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import {NetworkPolicy} from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import {PodDisruptionBudget} from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import {ConfigMap} from 'kubernetes-models/v1/ConfigMap'
import {Secret} from 'kubernetes-models/v1/Secret'
import {Service} from 'kubernetes-models/v1/Service'
import {ServiceAccount} from 'kubernetes-models/v1/ServiceAccount'

import {type AnyDoc, type KaosDoc, docLabel, isWorkloadDoc} from './documents.js'
import {invalid} from './errors.js'
import {
  DNS_LABEL_TEXT,
  DNS_SUBDOMAIN_TEXT,
  MAX_ANNOTATIONS_BYTES,
  QUANTITY_TEXT,
  annotationsSize,
  imageProblem,
  isDnsLabel,
  isDnsSubdomain,
  isLabelValue,
  isQualifiedName,
  quote,
} from './k8s-values.js'
import {FIELDS, ROOT_TYPES} from './k8s-fields.js'
import {ANNOTATION_SOURCE, KIND_INFO, LABEL_KIND, LABEL_NAME} from './names.js'
import {didYouMean} from './suggest.js'
import {type KubernetesObject, ONE_HANDLER} from './render/common.js'

/** The Kubernetes version whose schema the rendered objects are checked against. */
export const SCHEMA_KUBERNETES_VERSION = '1.33.0'

interface AjvError {
  instancePath: string
  keyword: string
  params: Record<string, any>
}

type Validatable = new (data: any) => {validate(): void}
const MODELS: Record<string, Validatable> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/ServiceAccount': ServiceAccount,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  // HTTPRoute is a CRD (Gateway API): only the API server that has it installed can check it.
}

/** One problem in one rendered object; `path` is the rendered object's field path. */
export interface ObjectIssue {
  path: string
  message: string
  /** An unknown field: `path` is the field, `message` the did-you-mean (or empty). */
  unknown?: boolean
}

/** `/spec/template/spec/containers/0/name` → `spec.template.spec.containers[0].name`. */
function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out ? `${out}.${p}` : p), '')
}

function at(obj: unknown, path: string): unknown {
  let v: any = obj
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (v === null || typeof v !== 'object') return undefined
    v = v[m[1] ?? Number(m[2])]
  }
  return v
}

function ajvText(e: AjvError, obj: unknown): ObjectIssue {
  const path = dotted(e.instancePath)
  const value = at(obj, path)
  const subject = quote(value) ? `${path} ${quote(value)}` : path
  switch (e.keyword) {
    case 'required':
      return {path: path ? `${path}.${e.params.missingProperty}` : e.params.missingProperty, message: 'is required'}
    case 'type':
      return {path, message: `${quote(value) ? `${quote(value)} ` : ''}must be ${e.params.type === 'object' ? 'a mapping' : e.params.type === 'array' ? 'a list' : `a${/^[aeiou]/.test(e.params.type) ? 'n' : ''} ${e.params.type}`}`}
    case 'enum':
      return {path, message: `${quote(value)} must be ${(e.params.allowedValues as string[]).join(', ').replace(/, ([^,]*)$/, ' or $1')}`}
    case 'format': {
      const f = e.params.format as string
      const text =
        f === 'int32'
          ? 'is out of range (a 32-bit integer: at most 2147483647)'
          : f === 'int64'
            ? 'is out of range (a 64-bit integer)'
            : f === 'quantity'
              ? QUANTITY_TEXT
              : f === 'byte'
                ? 'is not base64'
                : `is not a valid ${f}`
      return {path, message: `${quote(value)} ${text}`.trim()}
    }
    default:
      return {path, message: `${subject === path ? '' : `${quote(value)} `}is not valid (${e.keyword})`}
  }
}

/**
 * The most telling schema errors: a union (`oneOf` of string and number for quantities) reports
 * its branches' type errors too; the format error at the same place says what is wrong.
 */
function pickAjvErrors(errors: AjvError[]): AjvError[] {
  const formatAt = new Set(errors.filter((e) => e.keyword === 'format').map((e) => e.instancePath))
  return errors.filter((e) => !['oneOf', 'anyOf'].includes(e.keyword) && !(e.keyword === 'type' && formatAt.has(e.instancePath)))
}

/** Errors the OpenAPI schema of the object's kind reports. Kinds kaos does not render are skipped. */
export function schemaIssues(obj: KubernetesObject): ObjectIssue[] {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`]
  if (!Model) return []
  try {
    new Model(obj).validate()
    return []
  } catch (error) {
    const errors = (error as {errors?: AjvError[]}).errors
    if (!errors) throw error
    return pickAjvErrors(errors).map((e) => ajvText(e, obj))
  }
}

const orList = (xs: string[]) => xs.join(', ').replace(/, ([^,]*)$/, ' or $1')

/**
 * A probe or lifecycle handler has exactly one handler: the OpenAPI schema lists them all as
 * optional, the API server refuses none or two ("may not specify more than 1 handler type").
 */
function handlerIssues(v: unknown, key: string, path: string, out: ObjectIssue[]): void {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return
  const handlers = ONE_HANDLER[key]
  const given = handlers.filter((h) => (v as Record<string, unknown>)[h] !== undefined && (v as Record<string, unknown>)[h] !== null)
  const what = key.endsWith('Probe') ? 'a probe' : 'a lifecycle handler'
  if (given.length > 1) out.push({path, message: `has ${given.length} handlers (${given.join(', ')}); ${what} takes exactly one of ${orList(handlers)}`})
  else if (given.length === 0) out.push({path, message: `has no handler; ${what} takes exactly one of ${orList(handlers)}`})
}

function containerIssues(list: unknown, base: string, out: ObjectIssue[]): void {
  if (!Array.isArray(list)) return
  list.forEach((c: any, i) => {
    if (!c || typeof c !== 'object') return
    const p = `${base}[${i}]`
    if (typeof c.name === 'string' && !isDnsLabel(c.name)) out.push({path: `${p}.name`, message: `${quote(c.name)} ${DNS_LABEL_TEXT}`})
    if (typeof c.image === 'string') {
      const problem = imageProblem(c.image)
      if (problem) out.push({path: `${p}.image`, message: `${quote(c.image)} ${problem}`})
    }
    const seen = new Set<string>()
    ;(Array.isArray(c.env) ? c.env : []).forEach((e: any, j: number) => {
      if (typeof e?.name !== 'string') return
      if (seen.has(e.name)) out.push({path: `${p}.env[${j}].name`, message: `${quote(e.name)} appears twice in the container's env`})
      seen.add(e.name)
    })
    ;(Array.isArray(c.envFrom) ? c.envFrom : []).forEach((e: any, j: number) => {
      for (const ref of ['secretRef', 'configMapRef']) {
        const n = e?.[ref]?.name
        if (typeof n === 'string' && !isDnsSubdomain(n)) out.push({path: `${p}.envFrom[${j}].${ref}.name`, message: `${quote(n)} ${DNS_SUBDOMAIN_TEXT}`})
      }
    })
    for (const key of ['readinessProbe', 'livenessProbe', 'startupProbe']) handlerIssues(c[key], key, `${p}.${key}`, out)
    for (const key of ['postStart', 'preStop']) handlerIssues(c.lifecycle?.[key], key, `${p}.lifecycle.${key}`, out)
  })
  const names = list.map((c: any) => c?.name).filter((n) => typeof n === 'string')
  const dup = names.find((n, i) => names.indexOf(n) !== i)
  if (dup) out.push({path: `${base}[${names.lastIndexOf(dup)}].name`, message: `${quote(dup)}: two containers have this name`})
}

function metadataIssues(meta: any, base: string, out: ObjectIssue[]): void {
  if (!meta || typeof meta !== 'object') return
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    if (!isQualifiedName(k)) out.push({path: `${base}.labels`, message: `key ${quote(k)} is not a valid label key`})
    else if (typeof v === 'string' && !isLabelValue(v)) out.push({path: `${base}.labels.${k}`, message: `${quote(v)} is not a valid label value (at most 63 letters, digits, "-", "_", ".")`})
  }
  const size = annotationsSize(meta.annotations)
  if (size > MAX_ANNOTATIONS_BYTES)
    out.push({path: `${base}.annotations`, message: `total ${Math.ceil(size / 1024)} KiB, above Kubernetes' limit of ${MAX_ANNOTATIONS_BYTES / 1024} KiB`})
}

const PRIMITIVE = new Set(['string', 'number', 'boolean', 'Date', 'any', 'object', 'IntOrString'])

function walkFields(value: unknown, type: string, path: string, out: ObjectIssue[]): void {
  if (value === null || value === undefined || typeof value !== 'object') return
  const arr = /^Array<(.+)>$/.exec(type)
  if (arr) {
    if (Array.isArray(value)) value.forEach((v, i) => walkFields(v, arr[1], `${path}[${i}]`, out))
    return
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type)
  if (map) {
    for (const [k, v] of Object.entries(value)) walkFields(v, map[1], `${path}.${k}`, out)
    return
  }
  const fields = FIELDS[type]
  if (!fields || PRIMITIVE.has(type) || Array.isArray(value)) return // a wrong type is the schema's to report
  for (const [k, v] of Object.entries(value)) {
    const t = fields[k]
    const p = path ? `${path}.${k}` : k
    if (t === undefined) {
      const guess = didYouMean(k, Object.keys(fields))
      out.push({path: p, message: guess ? `; did you mean ${guess}?` : '', unknown: true})
    } else walkFields(v, t, p, out)
  }
}

/**
 * Fields the Kubernetes API does not have (strict field validation refuses them). The field
 * names are Kubernetes 1.36's (src/lib/k8s-fields.ts), so a field newer than the 1.33 schema is
 * not flagged here.
 */
export function unknownFieldIssues(obj: KubernetesObject): ObjectIssue[] {
  const root = ROOT_TYPES[`${obj.apiVersion}/${obj.kind}`]
  if (!root) return []
  const out: ObjectIssue[] = []
  walkFields(obj, root, '', out)
  return out
}

/** What the API server checks beyond the OpenAPI schema, for the fields kaos documents reach. */
export function extraIssues(obj: KubernetesObject): ObjectIssue[] {
  const out: ObjectIssue[] = []
  metadataIssues(obj.metadata, 'metadata', out)
  const tpl = (obj as any).spec?.template
  if (obj.kind === 'Deployment' && tpl) {
    metadataIssues(tpl.metadata, 'spec.template.metadata', out)
    for (const key of ['initContainers', 'containers']) containerIssues(tpl.spec?.[key], `spec.template.spec.${key}`, out)
    const vols = Array.isArray(tpl.spec?.volumes) ? tpl.spec.volumes : []
    vols.forEach((v: any, i: number) => {
      if (typeof v?.name === 'string' && !isDnsLabel(v.name)) out.push({path: `spec.template.spec.volumes[${i}].name`, message: `${quote(v.name)} ${DNS_LABEL_TEXT}`})
      // Every key but the name is a source; the API server refuses two ("may not specify more than 1 volume type").
      const sources = v && typeof v === 'object' ? Object.keys(v).filter((k) => k !== 'name' && v[k] !== null && v[k] !== undefined) : []
      if (sources.length > 1) out.push({path: `spec.template.spec.volumes[${i}]`, message: `has ${sources.length} sources (${sources.join(', ')}); a volume takes exactly one`})
    })
  }
  return out
}

const OVERRIDABLE = new Set(['image', 'imagePullPolicy', 'command', 'args', 'env', 'envFrom', 'resources'])

/**
 * The field of the kaos document a rendered path comes from, when there is one: the pod template
 * is the runtime's pod merged with `spec.container` (main container) and `spec.podSpec`.
 */
export function documentField(doc: AnyDoc, obj: KubernetesObject, path: string): string | undefined {
  if (obj.kind !== 'Deployment' || !isWorkloadDoc(doc)) return undefined
  if (path === 'spec.replicas') return 'spec.replicas'
  const m = /^spec\.template\.spec\.(.*)$/.exec(path)
  if (!m) return undefined
  const rest = m[1]
  const c = /^(containers|initContainers)\[(\d+)\](?:\.(.*))?$/.exec(rest)
  if (c) {
    const container = at(obj, `spec.template.spec.${c[1]}[${c[2]}]`) as {name?: string} | undefined
    const field = c[3] ?? ''
    const main = KIND_INFO[doc.kind].container
    if (c[1] === 'containers' && container?.name === main && OVERRIDABLE.has(field.split(/[.[]/)[0])) {
      const own = at(doc.spec, `container.${field.split(/[.[]/)[0]}`)
      if (own !== undefined) return `spec.container.${field}`
    }
    const list = (doc.spec.podSpec?.[c[1]] ?? []) as Array<{name?: string}>
    const j = list.findIndex((x) => x?.name === container?.name)
    if (j >= 0) return `spec.podSpec.${c[1]}[${j}]${field ? `.${field}` : ''}`
    return undefined
  }
  const top = rest.split(/[.[]/)[0]
  return doc.spec.podSpec && top in doc.spec.podSpec ? `spec.podSpec.${rest}` : undefined
}

function annotationAdvice(doc: KaosDoc, obj: KubernetesObject): string[] {
  const source = obj.metadata.annotations?.[ANNOTATION_SOURCE] ?? ''
  const out = [`kaos keeps the document in the ${ANNOTATION_SOURCE} annotation (${Math.ceil(Buffer.byteLength(source) / 1024)} KiB here).`]
  if (doc.kind === 'MCPServer' && doc.spec.params && Buffer.byteLength(doc.spec.params) > 64 * 1024)
    out.push(
      `spec.params is ${Math.ceil(Buffer.byteLength(doc.spec.params) / 1024)} KiB: keep it well under 256 KiB, or package the tools as an image (kaos mcp init, kaos mcp build) and deploy that with runtime custom.`,
    )
  else out.push('Shorten metadata.annotations or the document.')
  return out
}

/**
 * Check every rendered object; the first problem is an invalid-input error naming the document
 * and the field (the document's own field when the value came from it), quoting the value:
 *   `mcp.yaml: MCPServer "calc": spec.podSpec.containers[0].name is required (Deployment mcpserver-calc)`
 */
export function checkRenderedObjects(objects: KubernetesObject[], docs: AnyDoc[]): void {
  for (const obj of objects) {
    const issues = [...unknownFieldIssues(obj), ...extraIssues(obj), ...schemaIssues(obj)]
    if (issues.length === 0) continue
    const issue = issues[0]
    const doc = docs.find((d) => d.metadata.name === obj.metadata.labels?.[LABEL_NAME] && d.kind === obj.metadata.labels?.[LABEL_KIND])
    const what = `${obj.kind} ${obj.metadata.name}`
    const text = (path: string) => (issue.unknown ? `unknown field ${path}${issue.message}` : `${path} ${issue.message}`)
    if (!doc) throw invalid(`${what}: ${text(issue.path)}`)
    const field = documentField(doc, obj, issue.path)
    const line = field ? `${docLabel(doc)}: ${text(field)} (${what})` : `${docLabel(doc)}: ${what}: ${text(issue.path)}`
    const advice = isWorkloadDoc(doc) && issue.path.endsWith('annotations') && issue.message.includes('KiB') ? annotationAdvice(doc, obj) : []
    throw invalid(line, advice)
  }
}
