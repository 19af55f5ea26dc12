import {CatalogGetCommand} from '../../../cli/catalog-commands.js'

export default class McpPromptGet extends CatalogGetCommand {
  static summary = 'Show a stored MCPPrompt document and the gateways that serve it'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME',
    '<%= config.bin %> <%= command.id %> NAME -o json',
  ]

  protected readonly kind = 'MCPPrompt' as const
}
