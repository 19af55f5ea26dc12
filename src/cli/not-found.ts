// What an unknown command gets: one line naming it with the closest commands, exit 2, and never a
// prompt (oclif's not-found plugin asks "did you mean … ? (y/n)" on a terminal, which a CI job or
// a script can never answer). With --json the error is JSON like every other kaos error.
import type {Hook} from '@oclif/core'
import * as Errors from '@oclif/core/errors'

import {ExitCode} from '../lib/errors.js'
import {didYouMean} from '../lib/suggest.js'

export const kaosNotFoundHook: Hook<'command_not_found'> = async function (opts) {
  const sep = opts.config.topicSeparator
  // The oclif plugins kaos loads only for their own commands (src/bin.ts) count as commands too.
  const lazy = ['plugins', 'plugins install', 'plugins uninstall', 'plugins link', 'plugins update', 'plugins inspect', 'autocomplete']
  const ids = [...new Set([...opts.config.commandIDs.map((id) => id.split(':').join(sep)), ...lazy])]
  const bin = opts.config.bin
  // oclif joins every word before the first flag into the id, arguments included (`mcp deply
  // calc`): the mistyped word is the first one that does not continue a topic, and the guess is
  // made for it alone, among the commands and topics under the words before it.
  const words = opts.id.split(':')
  // oclif also joins the words after a command that takes no arguments (`mcp endpoints extra`).
  const command = [...words.keys()].reverse().map((i) => words.slice(0, i).join(sep)).find((id) => id && ids.includes(id))
  const fail = (message: string, suggestions: string[]): never => {
    if ((opts.argv ?? []).includes('--json')) {
      process.stdout.write(`${JSON.stringify({error: {code: 'INVALID_INPUT', exit: ExitCode.INVALID_INPUT, message, suggestions}}, null, 2)}\n`)
      this.exit(ExitCode.INVALID_INPUT)
    }
    throw new Errors.CLIError(message, {exit: ExitCode.INVALID_INPUT, suggestions})
  }
  if (command) {
    const extra = words.slice(command.split(sep).length)
    fail(`"${bin} ${command}" takes no arguments (got ${extra.map((w) => JSON.stringify(w)).join(' ')})`, [`See \`${bin} ${command} --help\` for its flags.`])
  }
  const parents = new Set(ids.flatMap((id) => id.split(sep).slice(0, -1).map((_, i, all) => all.slice(0, i + 1).join(sep))))
  let known = 0
  while (known < words.length - 1 && parents.has(words.slice(0, known + 1).join(sep))) known++
  const prefix = words.slice(0, known)
  const typed = words.slice(0, known + 1).join(sep)
  const under = (id: string) => {
    const parts = id.split(sep)
    return parts.length > known && parts.slice(0, known).join(sep) === prefix.join(sep) ? parts[known] : undefined
  }
  const children = new Set(ids.map(under).filter((w): w is string => Boolean(w)))
  const word = didYouMean(words[known], children)
  let guesses = word ? [[...prefix, word].join(sep)] : []
  if (guesses.length === 0 && known === 0) {
    // `kaos depoy`: the verb alone, under whichever topics have it.
    const verb = didYouMean(words[0], new Set(ids.map((id) => id.split(sep).pop()!)))
    if (verb) guesses = ids.filter((id) => id.split(sep).pop() === verb).slice(0, 3)
  }
  // Without a guess, the help of the topic the words before it name (`kaos mcp calc`: kaos mcp).
  const guess = guesses[0] ?? (known > 0 ? prefix.join(sep) : undefined)
  const message = `"${bin} ${typed}" is not a ${bin} command.${guesses.length > 0 ? ` Did you mean ${guesses.map((g) => `"${bin} ${g}"`).join(' or ')}?` : ''}`
  fail(message, [`Run \`${bin} --help\` to see the commands${guess ? `, or \`${bin} ${guess} --help\`` : ''}.`])
}
