import Table from 'cli-table3'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline/promises'
import * as util from 'node:util'
import { escapeJsonForTerminal, escapeTerminal } from './escape-terminal.js'

type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'gray' | 'bold' | 'dim' | 'magenta'

/** Decides whether to colour a stream: `--no-color`, NO_COLOR and FORCE_COLOR first, else only TTYs. */
export function shouldColor(stream: NodeJS.WriteStream, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return stream.isTTY === true && env.TERM !== 'dumb'
}

/**
 * Where a command writes, and how.
 *
 * Tenant-controlled text (names, URLs, errors, payloads) reaches the terminal only with every
 * control character made visible, colour or not. The CLI's own colours survive that because
 * {@link Output.style} does not write ESC itself: it writes a per-process random marker in its
 * place, which only the final write turns back into ESC, after everything else was escaped. A
 * tenant's `\x1b[8m` (hidden text) or `\x1b[30;40m` is therefore printed as text; it cannot
 * forge the marker, which it never sees.
 */
export class Output {
  readonly json: boolean
  readonly color: boolean
  readonly errColor: boolean
  readonly #out: NodeJS.WriteStream
  readonly #err: NodeJS.WriteStream
  readonly #in: NodeJS.ReadableStream
  /** Stands for ESC in the output of `style` until it is written (private-use characters around a random nonce). */
  readonly #esc = `\ue000${randomBytes(12).toString('hex')}\ue001`

  constructor(options: { json: boolean; color: boolean | undefined; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream; stdin?: NodeJS.ReadableStream }) {
    this.#out = options.stdout ?? process.stdout
    this.#err = options.stderr ?? process.stderr
    this.#in = options.stdin ?? process.stdin
    this.json = options.json
    this.color = shouldColor(this.#out, options.color)
    this.errColor = shouldColor(this.#err, options.color)
  }

  /** The error stream (progress, warnings). */
  get stderr(): NodeJS.WriteStream {
    return this.#err
  }

  /** Styles text when colour is on (the colour codes become real escape sequences only when written). */
  style(style: Style | Style[], text: string, forStderr = false): string {
    if (!(forStderr ? this.errColor : this.color)) return text
    let out = text
    for (const name of Array.isArray(style) ? style : [style]) {
      const [open, close] = util.inspect.colors[name]!
      out = `${this.#esc}[${open}m${out}${this.#esc}[${close}m`
    }
    return out
  }

  /**
   * Writes a line to stdout. Every line the CLI prints goes through here or `warn` / `error`:
   * control characters in it are made visible (see {@link escapeTerminal}), so a tenant's name,
   * URL or payload cannot act on the operator's terminal; only the CLI's own colours pass.
   */
  line(text = ''): void {
    this.#out.write(`${this.#render(text)}\n`)
  }

  /** `text` as written: every control character escaped, then the colour markers of `style` turned into ESC. */
  #render(text: string): string {
    return escapeTerminal(text).replaceAll(this.#esc, '\u001b')
  }

  /** Writes a value as pretty JSON to stdout (control characters escaped, as JSON allows). */
  printJson(value: unknown): void {
    this.#out.write(`${escapeJsonForTerminal(JSON.stringify(value, null, 2))}\n`)
  }

  /** Writes a table with a header row. */
  table(head: string[], rows: (string | number | null | undefined)[][]): void {
    const table = new Table({
      head: head.map((h) => this.#render(this.style('bold', h))),
      style: { head: [], border: this.color ? ['gray'] : [], compact: true },
      wordWrap: true,
    })
    // Rendered per cell, before the table measures widths; the table's own output is written as is.
    for (const row of rows) table.push(row.map((c) => this.#render(c === null || c === undefined ? this.style('dim', '–') : String(c))))
    this.#out.write(`${table.toString()}\n`)
  }

  /** Writes `key  value` pairs as a two-column table. */
  details(pairs: [string, string | number | null | undefined][]): void {
    const table = new Table({ style: { head: [], border: this.color ? ['gray'] : [], compact: true }, wordWrap: true })
    for (const [k, value] of pairs) {
      table.push({ [this.#render(this.style('bold', k))]: this.#render(value === null || value === undefined ? this.style('dim', '–') : String(value)) })
    }
    this.#out.write(`${table.toString()}\n`)
  }

  /** Asks a question on stderr (escaped like every line) and returns the answer read from stdin. */
  async ask(question: string): Promise<string> {
    const rl = createInterface({ input: this.#in, output: this.#err, terminal: false })
    this.#err.write(this.#render(question))
    try {
      return await rl.question('')
    } finally {
      rl.close()
    }
  }

  /** A success line (✔ message). */
  success(message: string): void {
    this.line(`${this.style('green', '✔')} ${message}`)
  }

  /** A warning on stderr. */
  warn(message: string): void {
    this.#err.write(`${this.#render(`${this.style('yellow', 'warning:', true)} ${message}`)}\n`)
  }

  /** An error on stderr. */
  error(message: string): void {
    this.#err.write(`${this.#render(`${this.style('red', 'error:', true)} ${message}`)}\n`)
  }

  /** Colours a delivery or endpoint state. */
  status(status: string): string {
    const colour: Record<string, Style> = {
      succeeded: 'green',
      sent: 'green',
      active: 'green',
      failed: 'yellow',
      paused: 'yellow',
      dead: 'red',
      disabled: 'red',
      pending: 'cyan',
      delivering: 'cyan',
    }
    const style = colour[status]
    return style ? this.style(style, status) : status
  }
}

/** A date as `2024-01-15 10:30:00Z` (UTC), or null. */
export function shortDate(value: string | Date | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const iso = value instanceof Date ? value.toISOString() : value
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

/** Shortens a string to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`
}
