// The lifecycle of commands that hold connections (invoke, chat, a2a): everything they open is
// released however the command ends, and Ctrl-C exits promptly without leaving work running on
// the server.

/** Something a command holds open: a port-forward, an MCP session. */
export interface Held {
  /** On Ctrl-C: tell the server (cancel the in-flight request, end the session). Bounded by the caller. */
  interrupt?(): Promise<void>
  /** On Ctrl-C, after `interrupt`: drop sockets synchronously. */
  closeNow?(): void
  /** When the command ends normally or with an error. */
  close(): Promise<void>
}

/** How long Ctrl-C waits for servers to hear about it before exiting anyway. */
export const INTERRUPT_GRACE_MS = 1500

/**
 * Run `body`, which registers what it opens with `hold`. However `body` ends, everything held is
 * closed, newest first (a session before the port-forward it runs through). On SIGINT/SIGTERM
 * each holder's `interrupt()` runs (newest first, all within `graceMs`), then `closeNow()`, and
 * the process exits with the shell's convention (130 for SIGINT, 143 for SIGTERM): a hung server
 * or API server can delay the exit by `graceMs` at most.
 */
export async function withHeld<T>(body: (hold: <H extends Held>(h: H) => H) => Promise<T>, opts: {graceMs?: number} = {}): Promise<T> {
  const held: Held[] = []
  const hold = <H extends Held>(h: H): H => {
    held.push(h)
    return h
  }
  let interrupted = false
  const closeAllNow = () => {
    for (const h of [...held].reverse()) {
      try {
        h.closeNow?.()
      } catch {
        // exiting anyway
      }
    }
  }
  const handler = (signal: NodeJS.Signals) => {
    // A second Ctrl-C does not wait for the servers, but still drops what is held (processes too).
    if (interrupted) {
      closeAllNow()
      process.exit(signal === 'SIGINT' ? 130 : 143)
    }
    interrupted = true
    process.stderr.write(`\ninterrupted (${signal})\n`)
    const exit = () => {
      closeAllNow()
      process.exit(signal === 'SIGINT' ? 130 : 143)
    }
    const deadline = setTimeout(exit, opts.graceMs ?? INTERRUPT_GRACE_MS)
    deadline.unref()
    ;(async () => {
      for (const h of [...held].reverse()) await h.interrupt?.().catch(() => {})
    })().finally(() => {
      clearTimeout(deadline)
      exit()
    })
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  try {
    return await body(hold)
  } catch (error) {
    // Interrupted: the body fails because its requests were aborted; the signal handler decides
    // how the process ends (130/143), not this error.
    if (interrupted) await new Promise(() => {})
    throw error
  } finally {
    if (!interrupted) {
      for (const h of [...held].reverse()) await h.close().catch(() => {})
      process.removeListener('SIGINT', handler)
      process.removeListener('SIGTERM', handler)
    }
  }
}
