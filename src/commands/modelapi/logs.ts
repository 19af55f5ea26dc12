import {LogsCommand} from '../../cli/workload-commands.js'

export default class ModelapiLogs extends LogsCommand {
  static summary = 'Print the logs of every pod and container of a model API'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME --tail 50',
    '<%= config.bin %> <%= command.id %> NAME -f --since 10m',
    '<%= config.bin %> <%= command.id %> NAME --previous',
  ]

  protected readonly kind = 'ModelAPI' as const
}
