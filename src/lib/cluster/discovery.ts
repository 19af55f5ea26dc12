import {ExitCode, KaosError} from '../errors.js'
import {didYouMean} from '../suggest.js'
import type {Cluster} from './client.js'

/** One resource the API server serves, as discovery describes it. */
export interface ApiResource {
  /** Plural name, with the subresource for subresources: `pods`, `pods/log`. */
  name: string
  /** API group; `''` for the core group. */
  group: string
  version: string
  kind: string
  namespaced: boolean
  verbs: string[]
  singularName?: string
  shortNames?: string[]
}

/** A resource name the user gave, resolved through discovery. */
export interface ResolvedResource extends ApiResource {
  /** What the user typed, e.g. `deploy`, `deployments.apps`, `pods/log`. */
  input: string
}

interface RawResource {
  name: string
  singularName?: string
  namespaced: boolean
  kind: string
  verbs?: string[]
  shortNames?: string[]
}

/**
 * Every resource of the cluster's API: the core group, then each group's preferred version, in
 * the server's priority order (the order kubectl resolves ambiguous names in). Groups that fail to
 * answer (an aggregated API that is down) are skipped with a warning.
 */
export async function discoverResources(cluster: Cluster, warnings: string[] = []): Promise<ApiResource[]> {
  const out: ApiResource[] = []
  const add = (group: string, version: string, list: {resources?: RawResource[]} | undefined) => {
    for (const r of list?.resources ?? []) {
      out.push({
        name: r.name,
        group,
        version,
        kind: r.kind,
        namespaced: r.namespaced,
        verbs: r.verbs ?? [],
        ...(r.singularName ? {singularName: r.singularName} : {}),
        ...(r.shortNames?.length ? {shortNames: r.shortNames} : {}),
      })
    }
  }
  const [core, groups] = await Promise.all([
    cluster.request<{resources?: RawResource[]}>('GET', '/api/v1'),
    cluster.request<{groups?: Array<{name: string; preferredVersion?: {groupVersion: string; version: string}; versions: Array<{groupVersion: string; version: string}>}>}>('GET', '/apis'),
  ])
  add('', 'v1', core)
  const lists = await Promise.all(
    (groups.groups ?? []).map(async (g) => {
      const gv = g.preferredVersion ?? g.versions[0]
      if (!gv) return undefined
      try {
        return {group: g.name, version: gv.version, list: await cluster.request<{resources?: RawResource[]}>('GET', `/apis/${gv.groupVersion}`)}
      } catch (error) {
        warnings.push(`API group ${gv.groupVersion} did not answer discovery: ${(error as Error).message}`)
        return undefined
      }
    }),
  )
  for (const l of lists) if (l) add(l.group, l.version, l.list)
  return out
}

/** Every name a user may type for a resource: plural, singular, kind, short names. */
function namesOf(r: ApiResource): string[] {
  return [r.name, r.singularName, r.kind.toLowerCase(), ...(r.shortNames ?? [])].filter((n): n is string => Boolean(n))
}

/**
 * Resolve what a user typed (`deployments`, `deploy`, `Deployment`, `deployments.apps`,
 * `widgets.example.com`, `pods/log`) to one discovered resource. Ambiguous names resolve as
 * kubectl does: the first group in the server's priority order. Unknown names are an
 * invalid-input error with a did-you-mean.
 */
export function resolveResource(resources: ApiResource[], input: string): ResolvedResource {
  const text = input.trim()
  if (!text) throw new KaosError('empty resource name in --resources', {exit: ExitCode.INVALID_INPUT})
  if (text === '*' || text.startsWith('*'))
    throw new KaosError(`resource "${text}": wildcards are not granted by kaos; list the resources the server needs`, {
      exit: ExitCode.INVALID_INPUT,
      suggestions: ['e.g. --resources pods,services,deployments'],
    })
  const [base, sub, ...more] = text.split('/')
  if (more.length > 0) throw new KaosError(`resource "${text}" is not a resource or resource/subresource`, {exit: ExitCode.INVALID_INPUT})
  const dot = base.indexOf('.')
  const name = (dot === -1 ? base : base.slice(0, dot)).toLowerCase()
  const group = dot === -1 ? undefined : base.slice(dot + 1).toLowerCase()
  const top = resources.filter((r) => !r.name.includes('/'))
  const inGroup = group === undefined ? top : top.filter((r) => r.group === group || (group === 'core' && r.group === ''))
  const match = inGroup.find((r) => r.name === name) ?? inGroup.find((r) => namesOf(r).includes(name))
  if (!match) {
    const pool = group === undefined ? top : inGroup.length > 0 ? inGroup : top
    // Plural names first: a short name like "deploy" is a prefix of many typos and would win too often.
    const guess = didYouMean(name, new Set(pool.map((r) => r.name))) ?? didYouMean(name, new Set(pool.flatMap((r) => [r.singularName ?? '', ...(r.shortNames ?? [])]).filter(Boolean)))
    const where = group === undefined ? "the cluster's API" : inGroup.length > 0 ? `API group "${group}"` : `the cluster's API (no API group "${group}")`
    throw new KaosError(`unknown resource "${text}": ${where} has no such resource.${guess ? ` Did you mean "${guess}"?` : ''}`, {
      exit: ExitCode.INVALID_INPUT,
      suggestions: ['List what the cluster serves with `kubectl api-resources`; qualify with the group when needed (e.g. widgets.example.com).'],
      code: 'UNKNOWN_RESOURCE',
      data: {resource: text, ...(guess ? {didYouMean: guess} : {})},
    })
  }
  if (sub === undefined) return {...match, input: text}
  const subs = resources.filter((r) => r.group === match.group && r.name.startsWith(`${match.name}/`))
  const full = `${match.name}/${sub.toLowerCase()}`
  const found = subs.find((r) => r.name === full)
  if (!found) {
    const guess = didYouMean(full, subs.map((r) => r.name))
    throw new KaosError(
      `unknown subresource "${text}": ${match.name}${match.group ? `.${match.group}` : ''} has ${subs.length > 0 ? `only ${subs.map((r) => r.name).join(', ')}` : 'no subresources'}.${guess ? ` Did you mean "${guess}"?` : ''}`,
      {exit: ExitCode.INVALID_INPUT, code: 'UNKNOWN_RESOURCE', data: {resource: text, ...(guess ? {didYouMean: guess} : {})}},
    )
  }
  // Subresources inherit scope from their parent; discovery lists them with the parent's flag anyway.
  return {...found, namespaced: match.namespaced, input: text}
}

/** Resolve several names, failing on the first unknown one. */
export function resolveResources(resources: ApiResource[], inputs: string[]): ResolvedResource[] {
  return inputs.map((i) => resolveResource(resources, i))
}

/** The API server's version (`GET /version`). */
export async function serverVersion(cluster: Cluster): Promise<{gitVersion?: string; platform?: string}> {
  return cluster.request('GET', '/version')
}
