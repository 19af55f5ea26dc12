import {CatalogGetCommand} from '../../../cli/catalog-commands.js'

export default class McpToolGet extends CatalogGetCommand {
  static summary = 'Show a stored MCPTool document and the gateways that serve it'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME',
    '<%= config.bin %> <%= command.id %> NAME -o json',
  ]

  protected readonly kind = 'MCPTool' as const
}
