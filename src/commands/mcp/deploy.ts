import * as Flags from '@oclif/core/flags'

import {DeployCommand, deployFlags, exposeFlags} from '../../cli/deploy-command.js'
import type {KaosDoc} from '../../lib/documents.js'
import type {McpFlags} from '../../lib/inputs.js'

export default class McpDeploy extends DeployCommand {
  static summary = 'Deploy an MCP server (render, server-side apply, optionally wait)'
  static description = `Renders a Deployment and Service named mcpserver-<name> from the runtime registry and applies them with server-side apply (field manager "kaos"). Give the server as flags or as MCPServer documents with -f.`
  static examples = [
    {description: 'Render a rawpython server offline', command: '<%= config.bin %> <%= command.id %> calc --runtime rawpython --params-file tools.py --dry-run'},
    {description: 'Deploy from a file and wait until it is ready (CI)', command: '<%= config.bin %> <%= command.id %> -f mcp.yaml -n tools --wait --timeout 2m'},
    {description: 'Slack, with its tokens from a Secret', command: '<%= config.bin %> <%= command.id %> slack --runtime slack --secret-env SLACK_BOT_TOKEN=slack/bot-token --secret-env SLACK_TEAM_ID=slack/team-id'},
    {description: 'A stdio server with its own flags', command: '<%= config.bin %> <%= command.id %> web --runtime fetch --arg=--ignore-robots-txt'},
    {description: 'Write plain YAML for kubectl apply -k', command: '<%= config.bin %> <%= command.id %> -f mcp.yaml --output-dir out/'},
    {description: 'Three replicas behind an Ingress with TLS; the bearer token: kaos mcp token calc', command: '<%= config.bin %> <%= command.id %> calc --runtime rawpython --params-file tools.py --replicas 3 --expose ingress --host calc.example.com --tls-secret calc-tls --wait'},
    {description: 'Egress limited to what the runtime declares', command: '<%= config.bin %> <%= command.id %> k8s --runtime kubernetes --sa k8s-reader --network-policy --wait'},
  ]
  static flags = {
    ...deployFlags,
    ...exposeFlags,
    // -i and -p: upstream KAOS's short flags for --image and --params.
    image: Flags.string({char: 'i', description: 'Container image (overrides the runtime default)'}),
    runtime: Flags.string({char: 'r', description: 'Runtime from the registry (see `kaos system runtimes`)'}),
    params: Flags.string({char: 'p', description: "Runtime params (e.g. rawpython's Python code or YAML)"}),
    'params-file': Flags.string({description: 'Read the runtime params from a file'}),
    arg: Flags.string({
      description: "Argument for the server's command (repeatable); replaces the runtime's default arguments. A stdio server gets them after its executable",
      multiple: true,
    }),
  }

  protected readonly kind = 'MCPServer' as const

  protected async docFromFlags(name: string, flags: Record<string, unknown>): Promise<KaosDoc> {
    const {mcpServerFromFlags} = await import('../../lib/inputs.js')
    return mcpServerFromFlags(name, flags as McpFlags)
  }
}
