// What an unknown command gets: one line naming it with the closest commands, exit 2, and never a
// prompt (oclif's not-found plugin asks "did you mean … ? (y/n)" on a terminal, which a CI job or
// a script can never answer). With --json the error is JSON like every other kaos error.
import type {Hook} from '@oclif/core'
import * as Errors from '@oclif/core/errors'

import {ExitCode} from '../lib/errors.js'
import {didYouMean} from '../lib/suggest.js'

export const kaosNotFoundHook: Hook<'command_not_found'> = async function (opts) {
  const sep = opts.config.topicSeparator
  const typed = opts.id.split(':').join(sep)
  // The oclif plugins kaos loads only for their own commands (src/bin.ts) count as commands too.
  const lazy = ['plugins', 'plugins install', 'plugins uninstall', 'plugins link', 'plugins update', 'plugins inspect', 'autocomplete']
  const ids = [...new Set([...opts.config.commandIDs.map((id) => id.split(':').join(sep)), ...lazy])]
  const topics = opts.config.topics.map((t) => t.name.split(':').join(sep))
  const bin = opts.config.bin
  let guesses = [didYouMean(typed, [...ids, ...topics])].filter((g): g is string => Boolean(g))
  if (guesses.length === 0) {
    // `kaos depoy`: the verb alone, under whichever topics have it.
    const verb = didYouMean(typed.split(sep).pop()!, new Set(ids.map((id) => id.split(sep).pop()!)))
    if (verb) guesses = ids.filter((id) => id.split(sep).pop() === verb).slice(0, 3)
  }
  const guess = guesses[0]
  const message = `"${bin} ${typed}" is not a ${bin} command.${guesses.length > 0 ? ` Did you mean ${guesses.map((g) => `"${bin} ${g}"`).join(' or ')}?` : ''}`
  const suggestions = [`Run \`${bin} --help\` to see the commands${guess ? `, or \`${bin} ${guess} --help\`` : ''}.`]
  if ((opts.argv ?? []).includes('--json')) {
    process.stdout.write(`${JSON.stringify({error: {code: 'INVALID_INPUT', exit: ExitCode.INVALID_INPUT, message, suggestions}}, null, 2)}\n`)
    this.exit(ExitCode.INVALID_INPUT)
  }
  throw new Errors.CLIError(message, {exit: ExitCode.INVALID_INPUT, suggestions})
}
