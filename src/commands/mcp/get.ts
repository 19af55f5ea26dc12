import {GetCommand} from '../../cli/workload-commands.js'

export default class McpGet extends GetCommand {
  static summary = 'Show an MCP server: its kaos document and live status'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME',
    '<%= config.bin %> <%= command.id %> NAME -n tools -o json',
  ]

  protected readonly kind = 'MCPServer' as const
}
