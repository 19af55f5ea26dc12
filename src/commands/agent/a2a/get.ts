import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {A2ACommand, EXIT_CODES_A2A, a2aFlags} from '../../../cli/a2a-command.js'
import type {A2ATask} from '../../../lib/a2a.js'
import {ExitCode, KaosError, invalid} from '../../../lib/errors.js'

export default class AgentA2aGet extends A2ACommand<typeof AgentA2aGet> {
  static summary = 'Show an A2A task of an agent; --watch follows it until it ends'
  static description = `Gets the task through the A2A JavaScript SDK's client (its state, status message, artifacts, history and, for upstream KAOS's agent runtime, its events). --watch prints each update as it happens until the task completes, fails or is canceled (the SDK's task subscription; for upstream KAOS's runtime, which streams no A2A, kaos polls the task for it), then the whole task.

${EXIT_CODES_A2A}`
  static examples = [
    {description: 'A task started with a2a send --async', command: '<%= config.bin %> <%= command.id %> helper task_0123456789ab'},
    {description: 'Follow it to the end', command: '<%= config.bin %> <%= command.id %> helper task_0123456789ab --watch'},
  ]
  static args = {
    name: Args.string({description: 'Name of the Agent (not needed with --url)'}),
    task: Args.string({description: 'The task id (or -t/--task-id)'}),
  }
  static flags = {
    'task-id': Flags.string({char: 't', description: "The task id (upstream KAOS's spelling of the TASK argument)"}),
    watch: Flags.boolean({char: 'w', description: 'Follow the task until it ends'}),
    ...a2aFlags,
    timeout: Flags.string({description: 'How long to wait for the agent (with --watch: for the task to end)', default: '120s'}),
  }

  async run(): Promise<A2ATask> {
    const {flags, args} = this
    // With --url the first argument is the task id.
    const id = flags['task-id'] ?? (flags.url ? (args.task ?? args.name) : args.task)
    if (flags.url && args.task) throw invalid('with --url, give only the task id')
    if (!id) throw invalid('a task id is required', ['kaos agent a2a get NAME TASK_ID (ids come from `kaos agent a2a send --async`)'])
    if (flags.url) this.args.name = undefined
    const json = this.jsonEnabled()
    const terminal = Boolean(process.stdout.isTTY)
    const [format, a2a] = await Promise.all([import('../../../cli/format/a2a.js'), import('../../../lib/a2a.js')])
    let seen: A2ATask | undefined
    const task = await this.withAgent((s, signal) =>
      flags.watch
        ? a2a.watchA2ATask(
            s,
            id,
            (t) => {
              if (!json && format.changed(t, seen)) this.log(format.updateLine(t, seen, terminal))
              seen = t
            },
            signal,
          )
        : a2a.getA2ATask(s, id, signal),
    )
    if (!json) {
      if (flags.watch) this.log('')
      this.log(format.taskText(task, terminal))
    }
    if (flags.watch && ['failed', 'rejected', 'canceled'].includes(task.state)) {
      if (json) process.exitCode = ExitCode.TOOL_ERROR
      else throw new KaosError(`task ${task.id} ${task.state}${task.message ? `: ${task.message}` : ''}`, {exit: ExitCode.TOOL_ERROR, code: 'A2A_ERROR', data: task})
    }
    return task
  }
}
