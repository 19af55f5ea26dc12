import {ux} from '@oclif/core/ux'

import {stripControl} from './format/terminal.js'

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

  /** Run `work` with this progress: stopped with "done" when it returns, "failed" when it throws. */
  async during<T>(work: (update: (message: string) => void) => Promise<T>): Promise<T> {
    try {
      const result = await work((message) => this.update(message))
      this.stop()
      return result
    } catch (error) {
      this.stop('failed')
      throw error
    }
  }
}

/**
 * Progress a server reports (e.g. an MCP tool call's notifications/progress) on stderr: one line
 * that rewrites itself on a terminal, plain timestamped lines in CI or when piped, nothing with
 * --json. The text comes from the server: control characters never reach the terminal.
 */
export class StatusLine {
  private shown = false
  private last = ''
  constructor(
    private readonly silent: boolean,
    private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI,
  ) {}

  update(text: string): void {
    if (this.silent) return
    const line = stripControl(text).replace(/\s+/g, ' ').trim()
    if (this.tty) {
      const width = Math.max(20, (process.stderr.columns || 80) - 1)
      process.stderr.write(`\r\u001B[K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`)
      this.shown = true
    } else if (line !== this.last) process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
    this.last = line
  }

  /** Take the line off the terminal before other output. */
  clear(): void {
    if (this.shown) process.stderr.write('\r\u001B[K')
    this.shown = false
  }
}
