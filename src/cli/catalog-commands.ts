import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from './base-command.js'
import {deployFlags} from './deploy-command.js'
import {table} from './format/table.js'
import {appliedLines} from './format/applied.js'
import {Progress} from './progress.js'
import type {CatalogDoc, CatalogKind} from '../lib/catalog.js'
import type {CatalogSummary} from '../lib/catalog-ops.js'
import type {DeployOutcome} from '../lib/deploy.js'
import {invalid} from '../lib/errors.js'
import {catalogObjectName} from '../lib/names.js'

/** `tool`, `prompt`, `resource`: the word after `kaos mcp`. */
export function catalogTopic(kind: CatalogKind): string {
  return kind.slice(3).toLowerCase()
}

const refreshFlag = Flags.boolean({
  description: 'Re-render and roll the gateways whose toolSelector picks the document (before or after the change)',
  default: true,
  allowNo: true,
})

/** What `kaos mcp tool|prompt|resource apply` returns. */
export interface CatalogApplyResult {
  dryRun?: 'client' | 'server'
  documents: CatalogDoc[]
  applied?: DeployOutcome['applied']
  refreshed?: Array<{name: string; namespace: string}>
  ready?: DeployOutcome['ready']
  objects?: DeployOutcome['objects']
  warnings: string[]
}

/** `kaos mcp tool|prompt|resource apply -f FILE`: store documents, refresh the gateways that serve them. */
export abstract class CatalogApplyCommand extends KaosCommand<typeof CatalogApplyCommand> {
  static flags = {
    file: Flags.string({
      char: 'f',
      description: 'YAML file with the documents, `-` for stdin, or a folder of .yaml/.yml/.json files (repeatable)',
      multiple: true,
      required: true,
    }),
    recursive: deployFlags.recursive,
    'dry-run': deployFlags['dry-run'],
    output: deployFlags.output,
    refresh: refreshFlag,
    wait: Flags.boolean({description: 'Wait until the refreshed gateways are ready'}),
    timeout: deployFlags.timeout,
    'force-conflicts': deployFlags['force-conflicts'],
    'create-namespace': deployFlags['create-namespace'],
    'skip-secret-check': deployFlags['skip-secret-check'],
    'skip-image-check': deployFlags['skip-image-check'],
    'system-namespace': deployFlags['system-namespace'],
  }

  protected abstract readonly kind: CatalogKind

  protected normalizeArgv(argv: string[]): string[] {
    return argv.flatMap((a, i) => (a === '--dry-run' && !['none', 'client', 'server'].includes(argv[i + 1]) ? ['--dry-run=client'] : [a]))
  }

  async run(): Promise<CatalogApplyResult> {
    const {flags} = this
    const [{readDocumentFiles}, {render}, {offlineNamespace}, {checkRenderedObjects}] = await Promise.all([
      import('../lib/inputs.js'),
      import('../lib/render/index.js'),
      import('../lib/cluster/context.js'),
      import('../lib/k8s-schema.js'),
    ])
    const all = readDocumentFiles(flags.file, {recursive: flags.recursive})
    const other = all.find((d) => d.kind !== this.kind)
    if (other) {
      const hint = other.kind.startsWith('MCP') && other.kind !== 'MCPServer' ? `kaos mcp ${catalogTopic(other.kind as CatalogKind)} apply -f` : `kaos mcp deploy -f (it takes every MCP kind)`
      throw invalid(`${other.kind} "${other.metadata.name}" cannot be applied with \`kaos mcp ${catalogTopic(this.kind)} apply\``, [`Use \`${hint}\` for ${other.kind} documents.`])
    }
    const docs = all as CatalogDoc[]
    if (flags['dry-run'] === 'client') {
      const ns = offlineNamespace(this.connectOptions())
      const registry = await this.registry()
      const {gatewayChecksFor} = await import('../lib/gateway-checks.js')
      const {objects, warnings} = render(docs, {namespace: ns.namespace, namespaceExplicit: ns.namespaceExplicit, registry, gatewayChecks: await gatewayChecksFor(docs, registry)})
      checkRenderedObjects(objects, docs)
      this.warnAll([...(ns.warning ? [ns.warning] : []), ...warnings])
      if (!this.jsonEnabled()) this.log((await import('./format/objects.js')).formatObjects(objects, flags.output as 'yaml' | 'json'))
      return {dryRun: 'client', documents: docs, objects, warnings}
    }
    const {applyCatalog} = await import('../lib/catalog-ops.js')
    const outcome = await new Progress(this.jsonEnabled()).during((progress) =>
      applyCatalog(
        docs,
        {
          ...this.connectOptions(),
          systemNamespace: flags['system-namespace'],
          dryRun: flags['dry-run'] === 'server' ? 'server' : undefined,
          wait: flags.wait,
          timeout: flags.timeout,
          forceConflicts: flags['force-conflicts'],
          createNamespace: flags['create-namespace'],
          skipSecretCheck: flags['skip-secret-check'],
          skipImageCheck: flags['skip-image-check'],
          refresh: flags.refresh,
        },
        {registry: (cluster) => this.registry(cluster), progress},
      ),
    )
    this.warnAll(outcome.warnings)
    if (!this.jsonEnabled()) {
      for (const line of appliedLines(outcome)) this.log(line)
      if (outcome.refreshed.length > 0) this.note(`refreshed gateway${outcome.refreshed.length > 1 ? 's' : ''} ${outcome.refreshed.map((g) => g.name).join(', ')}`)
    }
    return {documents: docs, applied: outcome.applied, refreshed: outcome.refreshed, ready: outcome.ready, warnings: outcome.warnings, ...(outcome.dryRun ? {dryRun: outcome.dryRun} : {})}
  }
}

const TARGET_HEADER: Record<CatalogKind, string> = {MCPTool: 'CALLS', MCPPrompt: 'ARGUMENTS', MCPResource: 'SOURCE'}
const MCP_NAME_HEADER: Record<CatalogKind, string> = {MCPTool: 'TOOL', MCPPrompt: 'PROMPT', MCPResource: 'URI'}

/** `kaos mcp tool|prompt|resource list`: stored documents and the gateways that serve them. */
export abstract class CatalogListCommand extends KaosCommand<typeof CatalogListCommand> {
  static flags = {
    'all-namespaces': Flags.boolean({char: 'A', description: 'List across all namespaces'}),
    selector: Flags.string({char: 'l', description: 'Label selector on the documents\' labels (e.g. app=shop)'}),
    output: Flags.string({char: 'o', description: 'Output format', options: ['table', 'wide', 'json', 'yaml', 'name'], default: 'table'}),
  }

  protected abstract readonly kind: CatalogKind

  async run(): Promise<{items: CatalogSummary[]}> {
    const cluster = await this.connect()
    const {listCatalog} = await import('../lib/catalog-ops.js')
    const warnings: string[] = []
    const all = this.flags['all-namespaces']
    const items = await listCatalog(cluster, this.kind, {namespace: all ? undefined : cluster.namespace, selector: this.flags.selector}, warnings)
    this.warnAll(warnings)
    if (this.jsonEnabled()) return {items}
    const fmt = this.flags.output
    if (fmt === 'json' || fmt === 'yaml') await this.printStructured({items}, fmt)
    else if (fmt === 'name') for (const i of items) this.log(`${this.kind.toLowerCase()}/${i.name}`)
    else if (items.length === 0) process.stderr.write(`No ${this.kind} found${all ? '' : ` in namespace ${cluster.namespace}`}.\n`)
    else {
      const wide = fmt === 'wide'
      const headers = [...(all ? ['NAMESPACE'] : []), 'NAME', MCP_NAME_HEADER[this.kind], TARGET_HEADER[this.kind], 'GATEWAYS', 'AGE', ...(wide ? ['LABELS'] : [])]
      const rows = items.map((i) => [
        ...(all ? [i.namespace] : []),
        i.name,
        i.mcpName,
        i.target,
        i.gateways.join(',') || '<none>',
        i.age,
        ...(wide ? [Object.entries(i.labels).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'] : []),
      ])
      this.log(table(headers, rows))
    }
    return {items}
  }
}

/** `kaos mcp tool|prompt|resource get NAME`: the stored document and who serves it. */
export abstract class CatalogGetCommand extends KaosCommand<typeof CatalogGetCommand> {
  static args = {name: Args.string({description: 'Document name (metadata.name)', required: true})}
  static flags = {
    output: Flags.string({char: 'o', description: 'Output format', options: ['yaml', 'json'], default: 'yaml'}),
  }

  protected abstract readonly kind: CatalogKind

  async run(): Promise<CatalogDoc & {status: {gateways: string[]}}> {
    const cluster = await this.connect()
    const {getCatalog} = await import('../lib/catalog-ops.js')
    const {document, gateways} = await getCatalog(cluster, this.kind, this.args.name, cluster.namespace)
    const out = {...document, status: {gateways}}
    if (!this.jsonEnabled()) await this.printStructured(out, this.flags.output as 'json' | 'yaml')
    return out
  }
}

/** `kaos mcp tool|prompt|resource delete NAME`: remove it and refresh the gateways that served it. */
export abstract class CatalogDeleteCommand extends KaosCommand<typeof CatalogDeleteCommand> {
  static args = {name: Args.string({description: 'Document name (metadata.name)', required: true})}
  static flags = {
    refresh: refreshFlag,
    wait: Flags.boolean({description: 'Wait until the refreshed gateways are ready'}),
    timeout: Flags.string({description: 'How long the whole delete may take, --wait included', default: '2m'}),
    'ignore-not-found': Flags.boolean({description: 'Succeed when the document does not exist'}),
    'skip-secret-check': deployFlags['skip-secret-check'],
    'skip-image-check': deployFlags['skip-image-check'],
    'system-namespace': deployFlags['system-namespace'],
  }

  protected abstract readonly kind: CatalogKind

  async run(): Promise<{deleted: Array<{kind: string; name: string; namespace?: string}>; refreshed: Array<{name: string; namespace: string}>}> {
    const {flags} = this
    const {deleteCatalog} = await import('../lib/catalog-ops.js')
    const out = await new Progress(this.jsonEnabled()).during((progress) =>
      deleteCatalog(
        this.kind,
        this.args.name,
        {
          ...this.connectOptions(),
          systemNamespace: flags['system-namespace'],
          wait: flags.wait,
          timeout: flags.timeout,
          refresh: flags.refresh,
          ignoreNotFound: flags['ignore-not-found'],
          skipSecretCheck: flags['skip-secret-check'],
          skipImageCheck: flags['skip-image-check'],
        },
        {registry: (cluster) => this.registry(cluster), progress},
      ),
    )
    this.warnAll(out.deploy?.warnings ?? [])
    if (!this.jsonEnabled()) {
      if (out.deleted.length === 0) this.log(`${this.kind} ${this.args.name} was not there`)
      else this.log(`${this.kind.toLowerCase()}/${this.args.name} deleted (configmap/${catalogObjectName(this.kind, this.args.name)})`)
      if (out.refreshed.length > 0) this.note(`refreshed gateway${out.refreshed.length > 1 ? 's' : ''} ${out.refreshed.map((g) => g.name).join(', ')}`)
    }
    return {deleted: out.deleted, refreshed: out.refreshed}
  }
}
