import * as Flags from '@oclif/core/flags'

import {ApplyingCommand, type DeployResult, applyFlags} from '../cli/apply-base.js'

export default class Apply extends ApplyingCommand<typeof Apply> {
  static summary = 'Apply files of MCPServer, Agent and ModelAPI documents, in dependency order'
  static description = `Reads every document of -f FILE|FOLDER|- (any mix of kinds, several per file), validates and renders all of them, has the API server dry-run every object, and only then applies: plain v1 Namespace documents first (created with server-side apply), then model APIs and MCP servers, then the agents that name them. One invalid document, or an agent naming a model API, MCP server or peer that is neither in the input nor in the cluster, leaves nothing applied.

Plain ServiceAccounts, Roles and RoleBindings (the identity an MCPServer's serviceAccountName names, as upstream KAOS samples carry it) are applied as written, after Namespaces. Upstream KAOS kinds that only its operator acts on (MemoryStore, AccessGrant, ThirdPartyService) are skipped with a warning. Other Kubernetes kinds are refused with the kubectl command that applies them: kaos applies what it renders, kubectl the rest.

--wait waits for every workload with one progress display. --dry-run=client prints what would be applied (offline), --dry-run=server asks the API server, --output-dir writes it for kubectl apply -k.`
  static examples = [
    {description: 'A file with a model API, an MCP server and an agent, waiting for all', command: '<%= config.bin %> <%= command.id %> -f team.yaml --wait'},
    {description: 'Every document under a folder', command: '<%= config.bin %> <%= command.id %> -f deploy/ -R -n tools'},
    {description: 'What would be applied, offline', command: '<%= config.bin %> <%= command.id %> -f team.yaml --dry-run'},
    {description: 'From stdin', command: 'cat team.yaml | <%= config.bin %> <%= command.id %> -f -'},
  ]
  static flags = {
    ...applyFlags,
    file: Flags.string({
      char: 'f',
      description: 'YAML file with kaos documents (and plain Namespaces, ServiceAccounts, Roles, RoleBindings), `-` for stdin, or a folder of .yaml/.yml/.json files (repeatable; at most 4 MiB each)',
      multiple: true,
      required: true,
    }),
    'skip-dependency-check': Flags.boolean({description: 'Apply agents even when a model API, MCP server or peer they name is neither in the input nor in the cluster'}),
  }

  async run(): Promise<DeployResult> {
    const {flags} = this
    const {readManifestFiles} = await import('../lib/inputs.js')
    const {docs, namespaces, rbac, warnings} = readManifestFiles(flags.file, {recursive: flags.recursive})
    return this.applyDocuments({docs, plain: [...namespaces, ...rbac], warnings}, flags, {missingDependencies: flags['skip-dependency-check'] ? 'skip' : 'error'})
  }
}
