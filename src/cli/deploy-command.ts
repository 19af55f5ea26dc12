import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {statSync} from 'node:fs'

import {ApplyingCommand, type DeployResult, applyFlags} from './apply-base.js'
import type {AnyDoc, KaosDoc} from '../lib/documents.js'
import {invalid} from '../lib/errors.js'
import {type PlannedWrite, checkParent, checkWrites, writeFiles} from '../lib/files.js'
import type {McpFlags} from '../lib/inputs.js'
import {isDnsLabel} from '../lib/k8s-values.js'
import {type Kind, TOPIC_OF} from '../lib/kinds.js'
import {isKeyLike} from '../lib/secrets.js'

export type {DeployResult} from './apply-base.js'

/** Flags that steer how a deploy runs rather than what is deployed (allowed with -f). */
const BEHAVIOUR_FLAGS = new Set([...Object.keys(applyFlags), 'create-yaml', 'kubeconfig', 'context', 'namespace', 'request-timeout', 'registry', 'json'])

/** Flags every deploy command shares: those of `kaos apply`, plus the ones that build a document. */
export const deployFlags = {
  ...applyFlags,
  // Upstream KAOS's spelling of NAME (its first word is a FILE): hidden, help shows NAME.
  name: Flags.string({description: 'Name of the workload (upstream KAOS\'s spelling of NAME)', hidden: true}),
  'create-yaml': Flags.string({description: 'Save the kaos document(s) built from flags to this file (its folder must exist)'}),
  image: Flags.string({description: 'Container image (overrides the runtime default)'}),
  env: Flags.string({description: 'Environment variable KEY=VALUE (repeatable)', multiple: true}),
  'secret-env': Flags.string({description: 'Environment variable from a Secret: KEY=SECRET/KEY (repeatable)', multiple: true}),
  'env-from-secret': Flags.string({description: 'Load every key of a Secret as environment variables (repeatable)', multiple: true}),
  sa: Flags.string({description: 'Service account the pods run as'}),
  replicas: Flags.integer({description: 'Number of replicas', min: 0}),
  'network-policy': Flags.boolean({
    description: 'Render a NetworkPolicy: ingress only on the served port, egress to DNS and what the runtime declares (spec.networkPolicy; default: the registry\'s defaults.networkPolicy). Enforced only by a CNI that implements NetworkPolicy',
    allowNo: true,
  }),
}

/** `--expose` and its companions: MCP servers and agents. */
export const exposeFlags = {
  expose: Flags.string({description: 'A way in from outside the cluster: an Ingress or a Gateway API HTTPRoute (spec.expose)', options: ['ingress', 'httproute']}),
  host: Flags.string({description: 'With --expose: the host name clients use, e.g. mcp.example.com'}),
  'tls-secret': Flags.string({description: 'With --expose ingress: the Secret with the TLS certificate for --host'}),
  'ingress-class': Flags.string({description: 'With --expose ingress: the IngressClass (default: the cluster\'s default class)'}),
  gateway: Flags.string({description: 'With --expose httproute: the Gateway to attach to, NAME or NAME/NAMESPACE'}),
  'no-auth': Flags.boolean({description: 'With --expose: no bearer token; anyone who reaches --host can call the server (kaos warns)'}),
}

/**
 * `kaos mcp|agent|modelapi deploy`: documents of one kind from -f or flags, then what every
 * applying command does (see ApplyingCommand).
 */
export abstract class DeployCommand extends ApplyingCommand<typeof DeployCommand> {
  static args = {name: Args.string({description: 'Name of the workload (when not using -f); a file here (upstream KAOS\'s form) is read as -f FILE'})}
  static flags = deployFlags

  protected abstract readonly kind: Kind

  /** Build the document from this command's own flags. */
  protected abstract docFromFlags(name: string, flags: Record<string, unknown>): Promise<KaosDoc>

  async run(): Promise<DeployResult> {
    const {flags, args} = this
    // The schema library and renderer load here, not at startup (see src/lib/kinds.ts).
    const [{mcpServerFromBuildRecord, readDocumentFiles, requireKind}, {BUILD_RECORD, readBuildRecord}] = await Promise.all([
      import('../lib/inputs.js'),
      import('../lib/image/record.js'),
    ])
    const {name, files} = nameAndFiles(args.name, flags.name, flags.file)
    let docs: AnyDoc[]
    if (files.length > 0) {
      if (name) throw invalid('give either NAME with flags or -f FILE, not both', ['Put the name in the document\'s metadata.name.'])
      // Flags that build a document would be silently ignored next to -f: refuse them instead.
      const docFlags = Object.keys(flags).filter((k) => !BEHAVIOUR_FLAGS.has(k) && (flags as Record<string, unknown>)[k] !== undefined)
      if (docFlags.length > 0)
        throw invalid(`--${docFlags[0]} cannot be combined with -f: the document is the whole specification`, ['Put the setting in the document, or drop -f and give NAME with flags.'])
      docs = readDocumentFiles(files, {recursive: flags.recursive})
      requireKind(docs, this.kind)
    } else if (flags.recursive) {
      throw invalid('-R reads the subfolders of -f FOLDER; give -f too')
    } else if (!name && this.kind === 'MCPServer' && readBuildRecord(process.cwd())) {
      // No NAME and no -f in a folder `kaos mcp build` ran in: deploy the image it recorded.
      const record = readBuildRecord(process.cwd())!
      this.note(`deploying ${record.image} as "${record.name}" (from ${BUILD_RECORD})`)
      docs = [mcpServerFromBuildRecord(record, flags as McpFlags)]
    } else {
      if (!name) throw invalid(`a NAME or -f FILE is required`, [`kaos ${TOPIC_OF[this.kind]} deploy NAME … or kaos ${TOPIC_OF[this.kind]} deploy -f FILE`])
      docs = [await this.docFromFlags(name, flags as Record<string, unknown>)]
    }
    // Files are checked before anything is rendered or applied: a refusal leaves nothing behind.
    const saved = flags['create-yaml'] ? await planSavedDocuments(flags['create-yaml'], docs) : undefined
    if (saved) {
      checkParent(saved.path, '--create-yaml')
      checkWrites([saved], {force: flags.force, what: '--create-yaml'})
    }
    return this.applyDocuments({docs}, flags, {
      // One kind at a time, in any order: a model API deployed after its agent is normal.
      missingDependencies: 'warn',
      saveDocuments: saved ? () => this.saveDocuments(saved, docs, flags.force) : undefined,
    })
  }

  private saveDocuments(file: PlannedWrite, docs: AnyDoc[], force?: boolean): string {
    writeFiles([file], {force, what: '--create-yaml'})
    this.note(`saved ${docs.length === 1 ? `${docs[0].kind} "${docs[0].metadata.name}"` : `${docs.length} documents`} to ${file.path}`)
    return file.path
  }
}

/**
 * Whether the first word of a deploy is a file rather than a NAME. Upstream KAOS's deploy takes
 * FILE there (`kaos mcp deploy mcpserver.yaml`). A NAME is a DNS-1123 label, so a word with a dot
 * or a slash, or `-`, was never one: a .yaml/.yml/.json word, a path, or anything else that is not
 * a label yet names a file or folder is read as -f. A label stays a NAME even where a file of
 * that name exists, so an existing command line never changes meaning.
 */
export function isFileWord(word: string): boolean {
  if (word === '-' || word.includes('/') || /\.(ya?ml|json)$/i.test(word)) return true
  if (isDnsLabel(word)) return false
  try {
    const st = statSync(word)
    return st.isFile() || st.isDirectory()
  } catch {
    return false
  }
}

/** NAME from the first word or upstream's --name, and the files from -f plus a first word that is one. */
export function nameAndFiles(word: string | undefined, nameFlag: string | undefined, fileFlags: string[] | undefined): {name?: string; files: string[]} {
  const files = [...(fileFlags ?? [])]
  let name = word
  if (word !== undefined && isFileWord(word)) {
    files.unshift(word)
    name = undefined
  }
  if (nameFlag !== undefined) {
    if (name !== undefined && name !== nameFlag)
      throw invalid(`NAME "${name}" and --name "${nameFlag}" differ: give the name once`, ['--name is upstream KAOS\'s spelling of NAME; drop one of them.'])
    name = nameFlag
  }
  return {name, files}
}

/** Whether a document carries a secret in clear (a literal API key), so its file is kept private. */
function holdsSecret(doc: AnyDoc): boolean {
  if (doc.kind !== 'ModelAPI') return false
  const pc = doc.spec.proxyConfig
  return Boolean((pc?.apiKey && 'value' in pc.apiKey) || Object.keys(pc?.litellmParams ?? {}).some((k) => isKeyLike(k)))
}

/** `--create-yaml FILE`: the documents as YAML, mode 0600 when they hold a secret. */
async function planSavedDocuments(path: string, docs: AnyDoc[]): Promise<PlannedWrite> {
  // Loaded here: every command's start-up pays for what this module imports.
  const {toYamlDocuments} = await import('./format/objects.js')
  return {
    path,
    content: toYamlDocuments(docs),
    ...(docs.some(holdsSecret) ? {mode: 0o600} : {}),
  }
}
