import * as Flags from '@oclif/core/flags'

import {A2ACommand, EXIT_CODES_A2A, a2aFlags} from '../../../cli/a2a-command.js'
import type {A2ATask} from '../../../lib/a2a.js'
import {ExitCode, KaosError} from '../../../lib/errors.js'

export default class AgentA2aSend extends A2ACommand<typeof AgentA2aSend> {
  static summary = 'Send a message to an agent over A2A and print its answer (or, with --async, the task id)'
  static description = `Talks A2A through the A2A JavaScript SDK's client (@a2a-js/sdk), through an in-process port-forward to a Ready pod of agent-<name> (or --url). Without --async it waits for the task to end: an agent that streams has each update printed on stderr as it arrives, and the answer (the task's artifacts, else its last agent message) goes to stdout. --async returns as soon as the agent has the task and prints only its id, to follow with \`kaos agent a2a get NAME ID --watch\`; upstream KAOS's agent runtime then runs it as an autonomous task, as upstream's own \`a2a send --async\` asks. --session-id continues a conversation (the A2A context id).

${EXIT_CODES_A2A}`
  static examples = [
    {description: 'Ask an agent, waiting for the answer', command: '<%= config.bin %> <%= command.id %> helper -m "Summarise the cluster"'},
    {description: 'Start a task and follow it', command: 'id=$(<%= config.bin %> <%= command.id %> helper -m "Check every pod" --async) && <%= config.bin %> agent a2a get helper "$id" --watch'},
    {description: 'Continue a conversation', command: '<%= config.bin %> <%= command.id %> helper -m "And the next step?" --session-id session_1a2b3c'},
  ]
  static flags = {
    message: Flags.string({char: 'm', description: 'The message', required: true}),
    'session-id': Flags.string({char: 's', description: 'Conversation to continue (the A2A context id)'}),
    async: Flags.boolean({description: 'Return the task id at once, without waiting for the answer'}),
    ...a2aFlags,
  }

  async run(): Promise<A2ATask> {
    const {flags} = this
    const json = this.jsonEnabled()
    const terminal = Boolean(process.stderr.isTTY)
    const [{changed, updateLine}, a2a] = await Promise.all([import('../../../cli/format/a2a.js'), import('../../../lib/a2a.js')])
    let seen: A2ATask | undefined
    const task = await this.withAgent((s, signal) =>
      a2a.sendA2A(s, {
        text: flags.message,
        contextId: flags['session-id'],
        returnImmediately: flags.async,
        signal,
        onUpdate: (t) => {
          // The end is said once, below; updates before it show what a streaming agent is doing.
          if (!json && !flags.async && !a2a.TERMINAL_STATES.has(t.state) && changed(t, seen)) process.stderr.write(`${updateLine(t, seen, terminal)}\n`)
          seen = t
        },
      }),
    )
    if (json) {
      if (!flags.async && ['failed', 'rejected'].includes(task.state)) process.exitCode = ExitCode.TOOL_ERROR
      return task
    }
    if (flags.async) {
      this.log(task.id)
      this.note(`task ${task.id} ${task.state} (session ${task.contextId}); follow it: kaos agent a2a get ${this.args.name ?? `--url ${flags.url}`} ${task.id} --watch`)
      return task
    }
    if (['failed', 'rejected'].includes(task.state))
      throw new KaosError(`task ${task.id} ${task.state}: ${task.message ?? a2a.answerOf(task) ?? 'no reason given'}`, {exit: ExitCode.TOOL_ERROR, code: 'A2A_ERROR', data: task})
    const {stripControl} = await import('../../../cli/format/terminal.js')
    const answer = a2a.answerOf(task)
    if (answer) this.log(process.stdout.isTTY ? stripControl(answer) : answer)
    this.note(`task ${task.id} ${task.state} (session ${task.contextId})`)
    return task
  }
}
