import {DeleteCommand} from '../../cli/workload-commands.js'

export default class AgentDelete extends DeleteCommand {
  static summary = 'Delete an agent and every object kaos created for it'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME',
    '<%= config.bin %> <%= command.id %> NAME --wait --ignore-not-found',
    '<%= config.bin %> <%= command.id %> NAME OTHER --wait',
  ]

  protected readonly kind = 'Agent' as const
}
