import {CatalogDeleteCommand} from '../../../cli/catalog-commands.js'

export default class McpPromptDelete extends CatalogDeleteCommand {
  static summary = 'Delete a stored MCPPrompt document and refresh the gateways that served it'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME',
    '<%= config.bin %> <%= command.id %> NAME --no-refresh --ignore-not-found',
  ]

  protected readonly kind = 'MCPPrompt' as const
}
