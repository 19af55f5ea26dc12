import {CatalogListCommand} from '../../../cli/catalog-commands.js'

export default class McpToolList extends CatalogListCommand {
  static summary = 'List stored MCPTool documents and the gateways that serve them'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -A -o wide',
    '<%= config.bin %> <%= command.id %> -l app=shop -o json',
  ]

  protected readonly kind = 'MCPTool' as const
}
