import type {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import {resolve} from 'node:path'

import {KaosCommand} from './base-command.js'
import {appliedLines} from './format/applied.js'
import {Progress} from './progress.js'
import type {AnyDoc} from '../lib/documents.js'
import {checkTargetDir, checkWrites, writeFiles} from '../lib/files.js'
import type {KubernetesObject} from '../lib/render/common.js'

/** What `kaos apply`, `kaos <kind> deploy` and `kaos samples deploy` return (and print with --json). */
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
  verified?: unknown[]
}

/** Flags of everything that applies documents: how it runs, not what it applies. */
export const applyFlags = {
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
  'output-dir': Flags.string({description: 'Write one YAML file per rendered object plus kustomization.yaml to this directory (implies --dry-run=client)'}),
  force: Flags.boolean({description: 'Let --create-yaml and --output-dir overwrite existing files'}),
  wait: Flags.boolean({description: 'Wait until the workloads are ready (MCP servers: until each Ready pod answers an MCP handshake and tools/list)'}),
  verify: Flags.boolean({description: 'With --wait, check that MCP answers on each Ready pod (--no-verify: Kubernetes readiness only)', allowNo: true, default: true}),
  // --wait-timeout: upstream KAOS's spelling (whole seconds), which a bare number here also means.
  timeout: Flags.string({description: 'How long the whole deploy may take, --wait included (e.g. 90s, 5m; a bare number is seconds)', default: '5m', aliases: ['wait-timeout']}),
  'force-conflicts': Flags.boolean({description: 'Take over fields owned by another field manager'}),
  'create-namespace': Flags.boolean({description: 'Create the namespace if it does not exist'}),
  'skip-secret-check': Flags.boolean({description: 'Do not check that referenced Secrets and keys (and the Services gateways call) exist'}),
  'skip-image-check': Flags.boolean({description: 'Do not check that the cluster\'s nodes have (or can pull) the images'}),
  'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system'}),
}

/** The values of `applyFlags` (and the cluster flags) a command passes to `applyDocuments`. */
export interface ApplyFlagValues {
  'dry-run'?: string
  output: string
  'output-dir'?: string
  force?: boolean
  wait?: boolean
  verify?: boolean
  timeout: string
  'force-conflicts'?: boolean
  'create-namespace'?: boolean
  'skip-secret-check'?: boolean
  'skip-image-check'?: boolean
  'system-namespace': string
  kubeconfig?: string
  context?: string
  namespace?: string
}

export interface ApplyInput {
  docs: AnyDoc[]
  /** Plain objects applied before the documents' (Namespaces; a sample's Secret and RBAC). */
  plain?: KubernetesObject[]
  /** What reading the input left out, and why (shown with the render's warnings). */
  warnings?: string[]
}

/**
 * The shared body of `kaos apply`, `kaos <kind> deploy` and `kaos samples deploy`: render once,
 * then print (client dry run), write files (--output-dir), or validate and apply everything
 * (server dry run, or for real), with one progress display.
 */
export abstract class ApplyingCommand<T extends typeof Command> extends KaosCommand<T> {
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

  protected async applyDocuments(
    input: ApplyInput,
    flags: ApplyFlagValues,
    opts: {
      missingDependencies: 'error' | 'warn' | 'skip'
      saveDocuments?: () => string
      /** Warnings that do not apply to this command (e.g. "needs RBAC" where the input grants it). */
      ignoreWarning?: (warning: string) => boolean
    },
  ): Promise<DeployResult> {
    const {docs} = input
    if (flags['output-dir']) checkTargetDir(flags['output-dir'], '--output-dir')
    const dryRun = flags['output-dir'] ? 'client' : (flags['dry-run'] ?? 'none')
    if (dryRun === 'client') {
      const [registry, {offlineNamespace}, {checkRenderedObjects}, {planOutputDir}, {render, sortForApply, plainObjects}, {gatewayChecksFor}] = await Promise.all([
        this.registry(),
        import('../lib/cluster/context.js'),
        import('../lib/k8s-schema.js'),
        import('../lib/output-dir.js'),
        import('../lib/render/index.js'),
        import('../lib/gateway-checks.js'),
      ])
      // The namespace a deploy would use: -n, else the kubeconfig context's (read offline).
      const ns = offlineNamespace(this.connectOptions())
      // No auth tokens: an offline render must not mint a secret nor print a placeholder that
      // `kubectl apply` would take for the real token (render warns what to create instead).
      const rendered = render(docs, {namespace: ns.namespace, namespaceExplicit: ns.namespaceExplicit, registry, gatewayChecks: await gatewayChecksFor(docs, registry)})
      const objects = [...sortForApply(plainObjects(input.plain ?? [], ns.namespace)), ...rendered.objects]
      checkRenderedObjects(objects, docs)
      const warnings = [...(input.warnings ?? []), ...rendered.warnings].filter((w) => !opts.ignoreWarning?.(w))
      const files = flags['output-dir'] ? planOutputDir(flags['output-dir'], objects) : []
      if (flags['output-dir']) checkWrites(files, {force: flags.force, root: resolve(flags['output-dir']), what: '--output-dir'})
      this.warnAll([...(ns.warning ? [ns.warning] : []), ...registry.warnings, ...warnings])
      const result: DeployResult = {dryRun: 'client', documents: docs, objects, warnings, namespace: ns.namespace}
      // The output dir first: creating its folder is the step most likely to fail.
      if (flags['output-dir']) result.written = writeFiles(files, {force: flags.force, root: resolve(flags['output-dir']), what: '--output-dir'})
      if (opts.saveDocuments) result.written = [opts.saveDocuments(), ...(result.written ?? [])]
      if (flags['output-dir']) this.note(`wrote ${files.length} files to ${flags['output-dir']}`)
      else if (!this.jsonEnabled()) this.log((await import('./format/objects.js')).formatObjects(objects, flags.output as 'yaml' | 'json'))
      return result
    }
    const {deploy} = await import('../lib/deploy.js')
    const outcome = await new Progress(this.jsonEnabled()).during((progress) =>
      deploy(
        docs,
        {
          ...this.connectOptions(),
          systemNamespace: flags['system-namespace'],
          dryRun: dryRun === 'server' ? 'server' : undefined,
          wait: flags.wait,
          verify: flags.verify,
          timeout: flags.timeout,
          forceConflicts: flags['force-conflicts'],
          createNamespace: flags['create-namespace'],
          skipSecretCheck: flags['skip-secret-check'],
          skipImageCheck: flags['skip-image-check'],
          missingDependencies: opts.missingDependencies,
          plain: input.plain,
        },
        {registry: (cluster) => this.registry(cluster), progress},
      ),
    )
    outcome.warnings = [...(input.warnings ?? []), ...outcome.warnings].filter((w) => !opts.ignoreWarning?.(w))
    this.warnAll(outcome.warnings)
    // Saved only once the cluster accepted the documents: bad input leaves no file behind.
    opts.saveDocuments?.()
    if (!this.jsonEnabled()) {
      for (const line of appliedLines(outcome)) this.log(line)
      if (!outcome.dryRun)
        for (const d of docs)
          if (d.kind === 'MCPServer' && d.spec.expose?.auth === 'bearer')
            this.note(`mcpserver/${d.metadata.name}: callers at ${d.spec.expose.host} send its bearer token: kaos mcp token ${d.metadata.name} -n ${d.metadata.namespace ?? outcome.namespace}`)
      for (const v of outcome.verified ?? []) {
        if (v.pods.length === 0) {
          this.log(`mcpserver/${v.name}: no Ready pod to check`)
          continue
        }
        const which = v.pods.length === v.readyPods ? (v.readyPods === 1 ? 'its Ready pod' : `all ${v.readyPods} Ready pods`) : `${v.pods.length} of ${v.readyPods} Ready pods (picked at random)`
        const p = v.pods[0]
        this.log(`mcpserver/${v.name} answers MCP on ${which}: ${p.tools} tool${p.tools === 1 ? '' : 's'}${p.protocolVersion ? `, protocol ${p.protocolVersion}` : ''}`)
      }
    }
    return {documents: docs, ...outcome}
  }
}
