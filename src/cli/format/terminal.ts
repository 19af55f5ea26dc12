// Text from servers (tool results, model answers, error bodies), made safe for a terminal.

/**
 * Remove ANSI/OSC escape sequences and other control characters (except newline and tab), so
 * server text cannot move the cursor, retitle the window, rewrite what was printed or hide text.
 */
export function stripControl(text: string): string {
  return (
    text
      // OSC … BEL/ST, CSI … final byte, other ESC sequences
      .replace(/\u001B\][\s\S]*?(?:\u0007|\u001B\\)/g, '')
      .replace(/\u001B\[[0-?]*[ -/]*[@-~]/g, '')
      .replace(/\u001B[@-Z\\-_]/g, '')
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F\u0080-\u009F]/g, '')
  )
}

/** An escape sequence cut off at the end of a chunk (the rest comes with the next one). */
const UNFINISHED = /\u001B(?:\][^\u0007\u001B]*(?:\u001B)?|\[[0-?]*[ -/]*)?$/

/** Longest unfinished sequence held back before it is treated as text (an OSC never closed). */
const MAX_HELD = 4096

/**
 * stripControl for text that arrives in pieces (streamed tokens): a sequence split across two
 * chunks is held back until it is complete, so neither half reaches the terminal.
 */
export function controlStripper(): {push(chunk: string): string; end(): string} {
  let held = ''
  return {
    push(chunk) {
      const text = held + chunk
      const m = UNFINISHED.exec(text)
      if (m && m[0].length <= MAX_HELD) {
        held = m[0]
        return stripControl(text.slice(0, m.index))
      }
      held = ''
      return stripControl(text)
    },
    end() {
      const rest = held
      held = ''
      return stripControl(rest)
    },
  }
}
