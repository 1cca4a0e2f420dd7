import { escapeTerminal } from './escape-terminal.js'

/** A one-line progress display on stderr; silent when stderr is not a terminal. */
export interface Progress {
  /** Sets the count done (of `total`, when known). */
  update(done: number, total?: number): void
  /** Clears the line. */
  stop(): void
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** Starts a spinner with a label, or a bar once a total is known. Redraws at most every 80 ms. */
export function startProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY !== true) return { update() {}, stop() {} }
  let done = 0
  let total: number | undefined
  let frame = 0
  const started = Date.now()
  const draw = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    let text = `${FRAMES[frame++ % FRAMES.length]} ${escapeTerminal(label)}`
    if (total !== undefined && total > 0) {
      const width = 24
      const filled = Math.round((Math.min(done, total) / total) * width)
      text += ` [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total}`
    } else if (done > 0) text += ` ${done}`
    stream.write(`\r\x1b[2K${text} ${seconds}s`)
  }
  const timer = setInterval(draw, 80)
  timer.unref()
  draw()
  return {
    update(d, t) {
      done = d
      if (t !== undefined) total = t
    },
    stop() {
      clearInterval(timer)
      stream.write('\r\x1b[2K')
    },
  }
}
