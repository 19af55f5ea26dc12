import {ux} from '@oclif/core/ux'

/**
 * Progress for long steps: a spinner on a terminal, plain timestamped lines on stderr in CI or
 * when output is piped, nothing with --json. Always stopped, also on failure.
 */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI
  private active = false
  constructor(private readonly silent: boolean) {}

  update(message: string): void {
    if (this.silent) return
    if (this.tty) {
      if (!this.active) ux.action.start('kaos', message, {stdout: false})
      else ux.action.status = message
      this.active = true
    } else process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`)
  }

  stop(message = 'done'): void {
    if (this.active) ux.action.stop(message)
    this.active = false
  }
}
