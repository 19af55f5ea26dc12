import {CatalogListCommand} from '../../../cli/catalog-commands.js'

export default class McpPromptList extends CatalogListCommand {
  static summary = 'List stored MCPPrompt documents and the gateways that serve them'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -A -o wide',
    '<%= config.bin %> <%= command.id %> -l app=shop -o json',
  ]

  protected readonly kind = 'MCPPrompt' as const
}
