import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {resolve} from 'node:path'
import {stringify} from 'yaml'

import {KaosCommand} from './base-command.js'
import {Progress} from './progress.js'
import type {AnyDoc, KaosDoc} from '../lib/documents.js'
import {invalid} from '../lib/errors.js'
import {checkParent, checkTargetDir, checkWrites, writeFiles} from '../lib/files.js'
import type {McpFlags} from '../lib/inputs.js'
import {type Kind, TOPIC_OF} from '../lib/kinds.js'
import {formatObjects} from './format/objects.js'
import type {PlannedWrite} from '../lib/files.js'
import type {KubernetesObject} from '../lib/render/common.js'
import {isKeyLike} from '../lib/secrets.js'

/** What `kaos <kind> deploy` returns (and prints with --json). */
export interface DeployResult {
  dryRun?: 'client' | 'server'
  documents: AnyDoc[]
  objects: KubernetesObject[]
  warnings: string[]
  written?: string[]
  namespace?: string
  applied?: Array<{kind: string; name: string; namespace?: string; action: string}>
  pruned?: Array<{kind: string; name: string; namespace?: string}>
  ready?: unknown[]
}

/** Flags that steer how a deploy runs rather than what is deployed (allowed with -f). */
const BEHAVIOUR_FLAGS = new Set(['file', 'recursive', 'force', 'dry-run', 'output', 'create-yaml', 'output-dir', 'wait', 'timeout', 'force-conflicts', 'create-namespace', 'skip-secret-check', 'skip-image-check', 'system-namespace', 'kubeconfig', 'context', 'namespace', 'request-timeout', 'registry', 'json'])

/** Flags every deploy command shares. */
export const deployFlags = {
  file: Flags.string({
    char: 'f',
    description: 'YAML file with kaos documents, `-` for stdin, or a folder of .yaml/.yml/.json files (repeatable; at most 4 MiB each)',
    multiple: true,
  }),
  recursive: Flags.boolean({char: 'R', description: 'With -f FOLDER, also read its subfolders'}),
  'dry-run': Flags.string({
    description: 'Only show what would be applied: `client` renders offline, `server` asks the API server to validate. A bare --dry-run means client.',
    options: ['none', 'client', 'server'],
  }),
  output: Flags.string({char: 'o', description: 'Output format for --dry-run', options: ['yaml', 'json'], default: 'yaml'}),
  'create-yaml': Flags.string({description: 'Save the kaos document(s) built from flags to this file (its folder must exist)'}),
  'output-dir': Flags.string({description: 'Write one YAML file per rendered object plus kustomization.yaml to this directory (implies --dry-run=client)'}),
  force: Flags.boolean({description: 'Let --create-yaml and --output-dir overwrite existing files'}),
  wait: Flags.boolean({description: 'Wait until the workload is ready'}),
  timeout: Flags.string({description: 'How long the whole deploy may take, --wait included (e.g. 90s, 5m)', default: '5m'}),
  'force-conflicts': Flags.boolean({description: 'Take over fields owned by another field manager'}),
  'create-namespace': Flags.boolean({description: 'Create the namespace if it does not exist'}),
  'skip-secret-check': Flags.boolean({description: 'Do not check that referenced Secrets and keys (and the Services gateways call) exist'}),
  'skip-image-check': Flags.boolean({description: 'Do not check that the cluster\'s nodes have (or can pull) the images'}),
  'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system'}),
  image: Flags.string({description: 'Container image (overrides the runtime default)'}),
  env: Flags.string({description: 'Environment variable KEY=VALUE (repeatable)', multiple: true}),
  'secret-env': Flags.string({description: 'Environment variable from a Secret: KEY=SECRET/KEY (repeatable)', multiple: true}),
  'env-from-secret': Flags.string({description: 'Load every key of a Secret as environment variables (repeatable)', multiple: true}),
  sa: Flags.string({description: 'Service account the pods run as'}),
  replicas: Flags.integer({description: 'Number of replicas', min: 0}),
}

/**
 * The shared body of `kaos mcp|agent|modelapi deploy`: documents from -f or flags, render once,
 * then print (dry run), write files, or apply.
 */
export abstract class DeployCommand extends KaosCommand<typeof DeployCommand> {
  static args = {name: Args.string({description: 'Name of the workload (when not using -f)'})}
  static flags = deployFlags

  protected abstract readonly kind: Kind

  /** Build the document from this command's own flags. */
  protected abstract docFromFlags(name: string, flags: Record<string, unknown>): Promise<KaosDoc>

  protected normalizeArgv(argv: string[]): string[] {
    const out: string[] = []
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]
      // kubectl's bare --dry-run means client.
      if (a === '--dry-run' && !['none', 'client', 'server'].includes(argv[i + 1])) out.push('--dry-run=client')
      // oclif would also take a lone `-` as the NAME argument; `-f -` means stdin.
      else if ((a === '-f' || a === '--file') && argv[i + 1] === '-') {
        out.push('--file=-')
        i++
      } else out.push(a)
    }
    return out
  }

  async run(): Promise<DeployResult> {
    const {flags, args} = this
    // The schema library and renderer load here, not at startup (see src/lib/kinds.ts).
    const [{mcpServerFromBuildRecord, readDocumentFiles, requireKind}, {render}, {BUILD_RECORD, readBuildRecord}] = await Promise.all([
      import('../lib/inputs.js'),
      import('../lib/render/index.js'),
      import('../lib/image/record.js'),
    ])
    let docs: AnyDoc[]
    if (flags.file?.length) {
      if (args.name) throw invalid('give either NAME with flags or -f FILE, not both', ['Put the name in the document\'s metadata.name.'])
      // Flags that build a document would be silently ignored next to -f: refuse them instead.
      const docFlags = Object.keys(flags).filter((k) => !BEHAVIOUR_FLAGS.has(k) && (flags as Record<string, unknown>)[k] !== undefined)
      if (docFlags.length > 0)
        throw invalid(`--${docFlags[0]} cannot be combined with -f: the document is the whole specification`, ['Put the setting in the document, or drop -f and give NAME with flags.'])
      docs = readDocumentFiles(flags.file, {recursive: flags.recursive})
      requireKind(docs, this.kind)
    } else if (flags.recursive) {
      throw invalid('-R reads the subfolders of -f FOLDER; give -f too')
    } else if (!args.name && this.kind === 'MCPServer' && readBuildRecord(process.cwd())) {
      // No NAME and no -f in a folder `kaos mcp build` ran in: deploy the image it recorded.
      const record = readBuildRecord(process.cwd())!
      this.note(`deploying ${record.image} as "${record.name}" (from ${BUILD_RECORD})`)
      docs = [mcpServerFromBuildRecord(record, flags as McpFlags)]
    } else {
      if (!args.name) throw invalid(`a NAME or -f FILE is required`, [`kaos ${TOPIC_OF[this.kind]} deploy NAME … or kaos ${TOPIC_OF[this.kind]} deploy -f FILE`])
      docs = [await this.docFromFlags(args.name, flags as Record<string, unknown>)]
    }
    // Files are checked before anything is rendered or applied: a refusal leaves nothing behind.
    const saved = flags['create-yaml'] ? planSavedDocuments(flags['create-yaml'], docs) : undefined
    if (saved) {
      checkParent(saved.path, '--create-yaml')
      checkWrites([saved], {force: flags.force, what: '--create-yaml'})
    }
    if (flags['output-dir']) checkTargetDir(flags['output-dir'], '--output-dir')
    const dryRun = flags['output-dir'] ? 'client' : (flags['dry-run'] ?? 'none')
    if (dryRun === 'client') {
      const [registry, {offlineNamespace}, {checkRenderedObjects}, {planOutputDir}] = await Promise.all([
        this.registry(),
        import('../lib/cluster/context.js'),
        import('../lib/k8s-schema.js'),
        import('../lib/output-dir.js'),
      ])
      // The namespace a deploy would use: -n, else the kubeconfig context's (read offline).
      const ns = offlineNamespace({kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace})
      // No auth tokens: an offline render must not mint a secret nor print a placeholder that
      // `kubectl apply` would take for the real token (render warns what to create instead).
      const {gatewayChecksFor} = await import('../lib/gateway-checks.js')
      const {objects, warnings} = render(docs, {namespace: ns.namespace, namespaceExplicit: ns.namespaceExplicit, registry, gatewayChecks: await gatewayChecksFor(docs, registry)})
      checkRenderedObjects(objects, docs)
      const files = flags['output-dir'] ? planOutputDir(flags['output-dir'], objects) : []
      if (flags['output-dir']) checkWrites(files, {force: flags.force, root: resolve(flags['output-dir']), what: '--output-dir'})
      this.warnAll([...(ns.warning ? [ns.warning] : []), ...registry.warnings, ...warnings])
      const result: DeployResult = {dryRun: 'client', documents: docs, objects, warnings, namespace: ns.namespace}
      // The output dir first: creating its folder is the step most likely to fail.
      if (flags['output-dir']) result.written = writeFiles(files, {force: flags.force, root: resolve(flags['output-dir']), what: '--output-dir'})
      if (saved) result.written = [this.saveDocuments(saved, docs, flags.force), ...(result.written ?? [])]
      if (flags['output-dir']) this.note(`wrote ${files.length} files to ${flags['output-dir']}`)
      else if (!this.jsonEnabled()) this.log(formatObjects(objects, flags.output as 'yaml' | 'json'))
      return result
    }
    const {deploy} = await import('../lib/deploy.js')
    const progress = new Progress(this.jsonEnabled())
    try {
      const outcome = await deploy(
        docs,
        {
          ...this.connectOptions(),
          systemNamespace: flags['system-namespace'],
          dryRun: dryRun === 'server' ? 'server' : undefined,
          wait: flags.wait,
          timeout: flags.timeout,
          forceConflicts: flags['force-conflicts'],
          createNamespace: flags['create-namespace'],
          skipSecretCheck: flags['skip-secret-check'],
          skipImageCheck: flags['skip-image-check'],
        },
        {registry: (cluster) => this.registry(cluster), progress: (m) => progress.update(m)},
      )
      progress.stop()
      this.warnAll(outcome.warnings)
      // Saved only once the cluster accepted the documents: bad input leaves no file behind.
      if (saved) this.saveDocuments(saved, docs, flags.force)
      if (!this.jsonEnabled()) {
        const suffix = outcome.dryRun ? ' (server dry run)' : ''
        for (const a of outcome.applied) this.log(`${a.kind.toLowerCase()}/${a.name} ${a.action}${suffix}`)
        for (const r of outcome.pruned) this.log(`${r.kind.toLowerCase()}/${r.name} pruned${suffix}`)
        for (const r of outcome.ready ?? []) this.log(`deployment/${r.name} ready (${r.readyReplicas}/${r.replicas})`)
      }
      return {documents: docs, ...outcome}
    } catch (error) {
      progress.stop('failed')
      throw error
    }
  }

  private saveDocuments(file: PlannedWrite, docs: AnyDoc[], force?: boolean): string {
    writeFiles([file], {force, what: '--create-yaml'})
    this.note(`saved ${docs.length === 1 ? `${docs[0].kind} "${docs[0].metadata.name}"` : `${docs.length} documents`} to ${file.path}`)
    return file.path
  }
}

/** Whether a document carries a secret in clear (a literal API key), so its file is kept private. */
function holdsSecret(doc: AnyDoc): boolean {
  if (doc.kind !== 'ModelAPI') return false
  const pc = doc.spec.proxyConfig
  return Boolean((pc?.apiKey && 'value' in pc.apiKey) || Object.keys(pc?.litellmParams ?? {}).some((k) => isKeyLike(k)))
}

/** `--create-yaml FILE`: the documents as YAML, mode 0600 when they hold a secret. */
function planSavedDocuments(path: string, docs: AnyDoc[]): PlannedWrite {
  return {
    path,
    content: docs.map((d) => stringify(d, {lineWidth: 0})).join('---\n'),
    ...(docs.some(holdsSecret) ? {mode: 0o600} : {}),
  }
}
