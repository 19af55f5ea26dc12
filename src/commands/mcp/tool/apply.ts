import {CatalogApplyCommand} from '../../../cli/catalog-commands.js'

export default class McpToolApply extends CatalogApplyCommand {
  static summary = 'Store MCPTool documents in the cluster and refresh the gateways that serve them'
  static examples = [
    '<%= config.bin %> <%= command.id %> -f tool.yaml',
    '<%= config.bin %> <%= command.id %> -f tools/ -R --wait',
    '<%= config.bin %> <%= command.id %> -f tool.yaml --dry-run=server',
  ]

  protected readonly kind = 'MCPTool' as const
}
