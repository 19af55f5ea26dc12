import {GetCommand} from '../../cli/workload-commands.js'

export default class AgentGet extends GetCommand {
  static summary = 'Show an agent: its kaos document and live status'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME',
    '<%= config.bin %> <%= command.id %> NAME -n tools -o json',
  ]

  protected readonly kind = 'Agent' as const
}
