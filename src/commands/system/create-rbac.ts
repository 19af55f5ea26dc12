import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import type {CreateRbacResult} from '../../lib/system/create-rbac.js'

export default class SystemCreateRbac extends KaosCommand<typeof SystemCreateRbac> {
  static summary = 'Create a service account with least-privilege RBAC for an MCP server'
  static description = `Creates the ServiceAccount mcpserver-NAME (the name kaos gives the kubernetes runtime's service account when the MCPServer sets none), a Role and RoleBinding in each namespace it may act in (or one ClusterRole and ClusterRoleBinding with --cluster-wide), granting exactly the verbs on exactly the resources asked for.

Resources are resolved through the cluster's API discovery, so plural, singular, kind and short names work (deploy → deployments.apps, cj → cronjobs.batch), as do CRDs (widgets.example.com); an unknown name is an error with a did-you-mean. A verb a resource does not support is not granted on it. Wildcards are never granted.

Defaults: the service account's namespace (-n), verbs get,list,watch, and resources ${'pods, services, endpoints, configmaps, events, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs'} (Secrets only when asked for). --read-only also grants get on pods/log and refuses write verbs.

Re-running with other options replaces the grant: Roles and bindings an earlier run made for the same service account that are no longer wanted are deleted. An existing service account is left as it is. Prints the serviceAccountName to put in the MCPServer (kaos mcp deploy --sa NAME, or spec.serviceAccountName).`
  static examples = [
    {description: 'Read-only access (with pod logs) in the MCP server\'s own namespace', command: '<%= config.bin %> <%= command.id %> k8s -n tools --read-only'},
    {description: 'Read pods and deployments in two other namespaces', command: '<%= config.bin %> <%= command.id %> k8s -n tools --namespaces dev,staging --resources pods,deployments'},
    {description: 'Let it restart deployments anywhere', command: '<%= config.bin %> <%= command.id %> ops -n tools --cluster-wide --resources deployments --verbs get,list,patch'},
    {description: 'A custom resource, resolved through discovery', command: '<%= config.bin %> <%= command.id %> k8s --resources widgets.example.com --verbs get,list'},
    {description: 'Show the objects without applying them', command: '<%= config.bin %> <%= command.id %> k8s --read-only --dry-run'},
  ]
  static args = {name: Args.string({description: 'MCPServer name; the service account is mcpserver-NAME', required: true})}
  static flags = {
    namespaces: Flags.string({description: 'Namespaces to grant rights in, comma-separated (default: the -n namespace)', multiple: true}),
    resources: Flags.string({description: 'Resources to grant, comma-separated (plural, singular, kind, short name, NAME.GROUP, or resource/subresource)', multiple: true}),
    verbs: Flags.string({description: 'Verbs to grant, comma-separated', multiple: true}),
    'read-only': Flags.boolean({description: 'get, list, watch plus get on pods/log; write verbs are refused'}),
    'cluster-wide': Flags.boolean({description: 'Grant in every namespace through a ClusterRole (also needed for cluster-scoped resources)'}),
    'dry-run': Flags.string({
      description: 'Only show what would be applied: `client` prints the objects (discovery is still read), `server` asks the API server to validate. A bare --dry-run means client.',
      options: ['none', 'client', 'server'],
    }),
    output: Flags.string({char: 'o', description: 'Output format of --dry-run=client', options: ['yaml', 'json'], default: 'yaml'}),
  }

  protected normalizeArgv(argv: string[]): string[] {
    return argv.map((a, i) => (a === '--dry-run' && !['none', 'client', 'server'].includes(argv[i + 1]) ? '--dry-run=client' : a))
  }

  async run(): Promise<CreateRbacResult> {
    const {flags} = this
    const {splitList} = await import('../../lib/system/rbac-plan.js')
    const cluster = await this.connect()
    const {createRbac} = await import('../../lib/system/create-rbac.js')
    const dryRun = flags['dry-run'] === 'client' || flags['dry-run'] === 'server' ? flags['dry-run'] : undefined
    const result = await createRbac(cluster, {
      name: this.args.name,
      namespace: cluster.namespace,
      namespaces: splitList(flags.namespaces),
      resources: splitList(flags.resources),
      verbs: splitList(flags.verbs),
      readOnly: flags['read-only'],
      clusterWide: flags['cluster-wide'],
      dryRun,
    })
    this.warnAll(result.warnings)
    if (this.jsonEnabled()) return result
    if (dryRun === 'client') {
      this.log((await import('../../cli/format/objects.js')).formatObjects(result.objects, flags.output as 'yaml' | 'json'))
      return result
    }
    const suffix = dryRun === 'server' ? ' (server dry run)' : ''
    for (const r of result.results) this.log(`${r.kind.toLowerCase()}/${r.name}${r.namespace ? ` in ${r.namespace}` : ''} ${r.action}${r.note ? ` (${r.note})` : ''}${suffix}`)
    for (const r of result.pruned) this.log(`${r.kind.toLowerCase()}/${r.name}${r.namespace ? ` in ${r.namespace}` : ''} pruned${suffix}`)
    const where = result.scope === 'cluster' ? 'in all namespaces' : `in ${result.namespaces.join(', ')}`
    this.note(`granted ${where}: ${result.rules.map((r) => `${r.verbs.join(',')} on ${r.resources.map((x) => (r.apiGroups[0] ? `${x}.${r.apiGroups[0]}` : x)).join(',')}`).join('; ')}`)
    this.note(`set this in the MCPServer (spec.serviceAccountName, or kaos mcp deploy --sa):`)
    this.log(`serviceAccountName: ${result.serviceAccountName}`)
    return result
  }
}
