import {GetCommand} from '../../cli/workload-commands.js'

export default class ModelapiGet extends GetCommand {
  static summary = 'Show a model API: its kaos document and live status'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME',
    '<%= config.bin %> <%= command.id %> NAME -n tools -o json',
  ]

  protected readonly kind = 'ModelAPI' as const
}
