import {CatalogDeleteCommand} from '../../../cli/catalog-commands.js'

export default class McpToolDelete extends CatalogDeleteCommand {
  static summary = 'Delete a stored MCPTool document and refresh the gateways that served it'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME',
    '<%= config.bin %> <%= command.id %> NAME --no-refresh --ignore-not-found',
  ]

  protected readonly kind = 'MCPTool' as const
}
