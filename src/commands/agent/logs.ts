import {LogsCommand} from '../../cli/workload-commands.js'

export default class AgentLogs extends LogsCommand {
  static summary = 'Print the logs of every pod and container of an agent'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME --tail 50',
    '<%= config.bin %> <%= command.id %> NAME -f --since 10m',
    '<%= config.bin %> <%= command.id %> NAME --previous',
  ]

  protected readonly kind = 'Agent' as const
}
