import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {A2ACommand, EXIT_CODES_A2A, a2aFlags} from '../../../cli/a2a-command.js'
import type {A2ATask} from '../../../lib/a2a.js'
import {invalid} from '../../../lib/errors.js'

export default class AgentA2aCancel extends A2ACommand<typeof AgentA2aCancel> {
  static summary = 'Cancel an A2A task of an agent'
  static description = `Asks the agent to cancel the task (A2A tasks/cancel, through the A2A JavaScript SDK's client) and prints its state afterwards. A task that has already ended is left as it is (the agent answers with it unchanged).

${EXIT_CODES_A2A}`
  static examples = [{description: 'Stop a task started with a2a send --async', command: '<%= config.bin %> <%= command.id %> helper task_0123456789ab'}]
  static args = {
    name: Args.string({description: 'Name of the Agent (not needed with --url)'}),
    task: Args.string({description: 'The task id (or -t/--task-id)'}),
  }
  static flags = {
    'task-id': Flags.string({char: 't', description: "The task id (upstream KAOS's spelling of the TASK argument)"}),
    ...a2aFlags,
  }

  async run(): Promise<A2ATask> {
    const {flags, args} = this
    const id = flags['task-id'] ?? (flags.url ? (args.task ?? args.name) : args.task)
    if (flags.url && args.task) throw invalid('with --url, give only the task id')
    if (!id) throw invalid('a task id is required', ['kaos agent a2a cancel NAME TASK_ID'])
    if (flags.url) this.args.name = undefined
    const {cancelA2ATask} = await import('../../../lib/a2a.js')
    const task = await this.withAgent((s, signal) => cancelA2ATask(s, id, signal))
    if (!this.jsonEnabled()) this.log(`task ${task.id} ${task.state}${task.message ? `: ${task.message}` : ''}`)
    return task
  }
}
