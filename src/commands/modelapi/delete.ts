import {DeleteCommand} from '../../cli/workload-commands.js'

export default class ModelapiDelete extends DeleteCommand {
  static summary = 'Delete a model API and every object kaos created for it'
  static examples = [
    '<%= config.bin %> <%= command.id %> NAME',
    '<%= config.bin %> <%= command.id %> NAME --wait --ignore-not-found',
    '<%= config.bin %> <%= command.id %> NAME OTHER --wait',
  ]

  protected readonly kind = 'ModelAPI' as const
}
