import {ListCommand} from '../../cli/workload-commands.js'

export default class McpList extends ListCommand {
  static summary = 'List MCP servers with readiness and in-cluster endpoint'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -A -o wide',
    '<%= config.bin %> <%= command.id %> -l team=search -o json',
  ]

  protected readonly kind = 'MCPServer' as const
}
