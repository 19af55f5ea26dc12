import {CatalogApplyCommand} from '../../../cli/catalog-commands.js'

export default class McpPromptApply extends CatalogApplyCommand {
  static summary = 'Store MCPPrompt documents in the cluster and refresh the gateways that serve them'
  static examples = [
    '<%= config.bin %> <%= command.id %> -f prompt.yaml',
    '<%= config.bin %> <%= command.id %> -f prompts/ -R --wait',
    '<%= config.bin %> <%= command.id %> -f prompt.yaml --dry-run=server',
  ]

  protected readonly kind = 'MCPPrompt' as const
}
