import {LogsCommand} from '../../cli/workload-commands.js'

export default class McpLogs extends LogsCommand {
  static summary = 'Print the logs of every pod and container of an MCP server'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME --tail 50',
    '<%= config.bin %> <%= command.id %> NAME -f --since 10m',
    '<%= config.bin %> <%= command.id %> NAME --previous',
  ]

  protected readonly kind = 'MCPServer' as const
}
