// kaos's configuration: defaults for flags, from `.kaos-config.yaml` (the nearest one from the
// working directory upwards: a project's) and `$XDG_CONFIG_HOME/kaos/config.yaml` (the user's).
// Every command looks for them, so finding none must cost next to nothing: a few stat calls; the
// YAML parser loads only when a file is there.
import {existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, isAbsolute, join, relative, resolve} from 'node:path'

import {invalid} from './errors.js'
import {didYouMean} from './suggest.js'

export const PROJECT_CONFIG = '.kaos-config.yaml'

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const IMAGE_REGISTRY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([-a-z0-9._/]*[a-z0-9])?)?$/
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const

interface KeySpec {
  description: string
  /** `path`/`paths` are resolved against the folder of the file that sets them. */
  type: 'string' | 'path' | 'paths'
  /** Why a value is wrong, or undefined. */
  check?: (v: string) => string | undefined
}

/** The keys, named as the flags they default. */
export const CONFIG_KEYS: Record<string, KeySpec> = {
  namespace: {
    description: "namespace when -n is not given (before the kubeconfig context's; a document's own metadata.namespace still wins)",
    type: 'string',
    check: (v) => (v.length <= 63 && DNS_LABEL.test(v) ? undefined : 'must be a DNS-1123 label (lowercase letters, digits and "-")'),
  },
  context: {description: 'kubeconfig context (--context)', type: 'string'},
  kubeconfig: {description: 'kubeconfig file (--kubeconfig)', type: 'path'},
  registry: {description: 'runtime registry files merged over the built-in one (--registry)', type: 'paths'},
  'image-registry': {
    description: "where kaos's own images live (renders REG/kaos-<name>:<version>) and the default of every --image-registry",
    type: 'string',
    check: (v) => (IMAGE_REGISTRY.test(v) ? undefined : 'must be a registry host with an optional port and path, e.g. ghcr.io/acme or localhost:5001'),
  },
  'system-namespace': {
    description: 'namespace of the kaos-mcp-runtimes ConfigMap (--system-namespace)',
    type: 'string',
    check: (v) => (v.length <= 63 && DNS_LABEL.test(v) ? undefined : 'must be a DNS-1123 label (lowercase letters, digits and "-")'),
  },
  output: {
    description: `-o of commands that offer it (${OUTPUT_FORMATS.join(', ')}); a command without that format keeps its own default`,
    type: 'string',
    check: (v) => ((OUTPUT_FORMATS as readonly string[]).includes(v) ? undefined : `must be one of ${OUTPUT_FORMATS.join(', ')}`),
  },
}

export type ConfigValue = string | string[]
export type ConfigValues = Record<string, ConfigValue>

export interface ConfigFile {
  path: string
  scope: 'project' | 'global'
  /** Checked values, paths absolute. */
  values: ConfigValues
}

export interface Config {
  files: ConfigFile[]
  /** The effective values: the project file's over the user's. */
  values: ConfigValues
  /** Which file each effective value comes from. */
  sources: Record<string, string>
}

/** The user's config file path (whether or not it exists). */
export function globalConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'kaos', 'config.yaml')
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

/** The nearest `.kaos-config.yaml` from `cwd` upwards, if any. */
export function findProjectConfig(cwd: string): string | undefined {
  let dir = resolve(cwd)
  for (;;) {
    const p = join(dir, PROJECT_CONFIG)
    if (existsSync(p) && isFile(p)) return p
    const up = dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}

/** Where `kaos config` looks, found or not (for `config show`). */
export function configLocations(cwd: string, env: NodeJS.ProcessEnv = process.env): {project?: string; global: string; globalExists: boolean} {
  const global = globalConfigPath(env)
  return {project: findProjectConfig(cwd), global, globalExists: isFile(global)}
}

/** Exit 2 naming the key, with a did-you-mean, for a key kaos does not know. */
export function checkKey(key: string, where: string): KeySpec {
  const spec = CONFIG_KEYS[key]
  if (spec) return spec
  const guess = didYouMean(key, Object.keys(CONFIG_KEYS))
  throw invalid(`${where}: unknown key "${key}"${guess ? `; did you mean ${guess}?` : ''}`, [`Keys: ${Object.keys(CONFIG_KEYS).join(', ')}`])
}

function expandPath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1))
  return isAbsolute(p) ? p : resolve(base, p)
}

/** One key's value from a file or the command line, checked; paths resolved against `base`. */
export function checkValue(key: string, raw: unknown, where: string, base: string): ConfigValue {
  const spec = checkKey(key, where)
  const list = spec.type === 'paths' ? (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((x) => x.trim()).filter(Boolean) : undefined) : undefined
  if (spec.type === 'paths') {
    if (!list || list.length === 0 || list.some((x) => typeof x !== 'string' || !x)) throw invalid(`${where}: ${key} must be a file path or a list of them`)
    return (list as string[]).map((x) => expandPath(x, base))
  }
  if (typeof raw !== 'string' || raw === '') throw invalid(`${where}: ${key} must be a non-empty string${raw === null || raw === undefined ? '' : ` (got ${JSON.stringify(raw)})`}`)
  const problem = spec.check?.(raw)
  if (problem) throw invalid(`${where}: ${key} ${JSON.stringify(raw)} ${problem}`)
  return spec.type === 'path' ? expandPath(raw, base) : raw
}

/** A config file's text, checked: a mapping of known keys. */
export async function parseConfigFile(text: string, path: string): Promise<ConfigValues> {
  const {parse} = await import('./config-file.js')
  let doc: unknown
  try {
    doc = parse(text)
  } catch (error) {
    throw invalid(`${path}: invalid YAML: ${(error as Error).message.split('\n')[0]}`, ['Fix the file, or remove it.'])
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) throw invalid(`${path}: expected a mapping of settings (key: value)`, [`Keys: ${Object.keys(CONFIG_KEYS).join(', ')}`])
  const out: ConfigValues = {}
  for (const [k, v] of Object.entries(doc)) out[k] = checkValue(k, v, path, dirname(path))
  return out
}

function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw invalid(`${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

/**
 * The configuration in effect for a command started in `cwd`, or undefined when there is no
 * config file at all (the common case, which must stay cheap).
 */
export async function loadConfig(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<Config | undefined> {
  const {project, global, globalExists} = configLocations(cwd, env)
  if (!project && !globalExists) return undefined
  const files: ConfigFile[] = []
  if (globalExists) files.push({path: global, scope: 'global', values: await parseConfigFile(readConfigText(global), global)})
  if (project && project !== global) files.push({path: project, scope: 'project', values: await parseConfigFile(readConfigText(project), project)})
  const values: ConfigValues = {}
  const sources: Record<string, string> = {}
  for (const f of files) {
    for (const [k, v] of Object.entries(f.values)) {
      values[k] = v
      sources[k] = f.path
    }
  }
  return {files, values, sources}
}

/** The file `config set` writes: the nearest project file, else (or with `global`) the user's. */
export function configTarget(cwd: string, global: boolean, env: NodeJS.ProcessEnv = process.env): string {
  return (global ? undefined : findProjectConfig(cwd)) ?? globalConfigPath(env)
}

/**
 * Set (or, with `value` undefined, remove) one key in a config file, keeping its comments and the
 * order of the other keys; the file and its folder are created when missing. Relative paths given
 * on the command line are relative to `cwd`; they are stored relative to the file's folder.
 */
export async function writeConfigValue(file: string, key: string, value: string | undefined, cwd: string): Promise<ConfigValue | undefined> {
  let stored: ConfigValue | undefined
  if (value !== undefined) {
    const spec = checkKey(key, 'kaos config')
    const checked = checkValue(key, value, 'kaos config', cwd)
    const rel = (p: string) => {
      const r = relative(dirname(file), p)
      return r && !r.startsWith('..') && !isAbsolute(r) ? r : p
    }
    stored = spec.type === 'path' ? rel(checked as string) : spec.type === 'paths' ? (checked as string[]).map(rel) : checked
  }
  const {parseDocument} = await import('./config-file.js')
  const text = isFile(file) ? readConfigText(file) : ''
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw invalid(`${file}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`, ['Fix the file first.'])
  if (doc.contents === null) doc.contents = doc.createNode({}) as never
  // Unsetting a key kaos does not know is how a typo in the file is removed; one not there is an error.
  if (stored === undefined && !CONFIG_KEYS[key] && !doc.has(key)) checkKey(key, 'kaos config')
  if (stored === undefined) doc.delete(key)
  else doc.set(key, stored)
  // The result must still be a valid config before it replaces the file.
  await parseConfigFile(String(doc), file)
  mkdirSync(dirname(file), {recursive: true})
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, String(doc))
  renameSync(tmp, file)
  return stored
}
