import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {parseDuration} from '../../lib/duration.js'
import type {InstallResult} from '../../lib/system/install.js'

export default class SystemInstall extends KaosCommand<typeof SystemInstall> {
  static summary = 'Prepare a cluster for kaos: the system namespace and the shared runtime registry'
  static description = `There is no operator to install. This creates the system namespace (default kaos-system) and the ConfigMap kaos-mcp-runtimes (key runtimes.yaml): the built-in runtime registry merged with the --registry files, in the same format as registry/runtimes.yaml. Both are labelled app.kubernetes.io/managed-by=kaos and kaos.tools/component=system and written with server-side apply (field manager kaos).

From then on every kaos user of the cluster sees the same runtimes: the ConfigMap sits above their local registry files (built-in < user file < --registry < cluster ConfigMap < plugins).

Idempotent: running it again with the same files leaves everything unchanged. An existing namespace that kaos did not create is used as it is. Your personal registry file ($KAOS_REGISTRY, ~/.config/kaos/runtimes.yaml) is not installed; pass it with --registry if you mean to share it.`
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Share a team registry with everyone on the cluster', command: '<%= config.bin %> <%= command.id %> --registry team-runtimes.yaml --wait'},
    {description: 'Print the objects instead of applying them (for GitOps)', command: '<%= config.bin %> <%= command.id %> --dry-run > kaos-system.yaml'},
    {description: 'Ask the API server to validate, change nothing', command: '<%= config.bin %> <%= command.id %> --dry-run=server'},
    {description: "kaos's images are in a registry the cluster pulls from", command: '<%= config.bin %> <%= command.id %> --image-registry ghcr.io/acme'},
  ]
  static flags = {
    'system-namespace': Flags.string({description: 'Namespace for kaos\'s shared objects', default: 'kaos-system'}),
    'dry-run': Flags.string({
      description: 'Only show what would be applied: `client` prints the objects offline, `server` asks the API server. A bare --dry-run means client.',
      options: ['none', 'client', 'server'],
    }),
    output: Flags.string({char: 'o', description: 'Output format of --dry-run=client', options: ['yaml', 'json'], default: 'yaml'}),
    'image-registry': Flags.string({description: "Where kaos's own images live for this cluster (e.g. ghcr.io/acme): every user then renders REGISTRY/kaos-<name>:<version>"}),
    wait: Flags.boolean({description: 'Wait until the namespace is active and the registry reads back'}),
    timeout: Flags.string({description: 'How long --wait waits', default: '1m'}),
  }

  protected normalizeArgv(argv: string[]): string[] {
    return argv.map((a, i) => (a === '--dry-run' && !['none', 'client', 'server'].includes(argv[i + 1]) ? '--dry-run=client' : a))
  }

  async run(): Promise<InstallResult> {
    const {flags} = this
    const timeoutMs = parseDuration(flags.timeout)
    const system = await import('../../lib/system/install.js')
    const ns = flags['system-namespace']
    if (flags['dry-run'] === 'client') {
      const reg = system.installRegistry(flags.registry, flags['image-registry'])
      const objects = system.installObjects(ns, reg)
      if (!this.jsonEnabled()) this.log((await import('../../cli/format/objects.js')).formatObjects(objects, flags.output as 'yaml' | 'json'))
      return {systemNamespace: ns, dryRun: 'client', runtimes: [...reg.runtimes.keys()].sort(), objects, results: [], warnings: []}
    }
    const cluster = await this.connect()
    const result = await system.install(cluster, {systemNamespace: ns, files: flags.registry, imageRegistry: flags['image-registry'], dryRun: flags['dry-run'] === 'server', wait: flags.wait, timeoutMs})
    this.warnAll(result.warnings)
    if (!this.jsonEnabled()) {
      const suffix = result.dryRun ? ' (server dry run)' : ''
      for (const r of result.results) this.log(`${r.kind.toLowerCase()}/${r.name} ${r.action}${r.note ? ` (${r.note})` : ''}${suffix}`)
      this.note(`runtime registry ${ns}/kaos-mcp-runtimes: ${result.runtimes.join(', ')}`)
    }
    return result
  }
}
