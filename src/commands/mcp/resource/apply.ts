import {CatalogApplyCommand} from '../../../cli/catalog-commands.js'

export default class McpResourceApply extends CatalogApplyCommand {
  static summary = 'Store MCPResource documents in the cluster and refresh the gateways that serve them'
  static examples = [
    '<%= config.bin %> <%= command.id %> -f resource.yaml',
    '<%= config.bin %> <%= command.id %> -f resources/ -R --wait',
    '<%= config.bin %> <%= command.id %> -f resource.yaml --dry-run=server',
  ]

  protected readonly kind = 'MCPResource' as const
}
