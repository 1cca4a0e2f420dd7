import Table from 'cli-table3'
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

/** Where a command writes, and how. */
export class Output {
  readonly json: boolean
  readonly color: boolean
  readonly errColor: boolean
  readonly #out: NodeJS.WriteStream
  readonly #err: NodeJS.WriteStream

  constructor(options: { json: boolean; color: boolean | undefined; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream }) {
    this.#out = options.stdout ?? process.stdout
    this.#err = options.stderr ?? process.stderr
    this.json = options.json
    this.color = shouldColor(this.#out, options.color)
    this.errColor = shouldColor(this.#err, options.color)
  }

  /** The error stream (progress, warnings). */
  get stderr(): NodeJS.WriteStream {
    return this.#err
  }

  /** Styles text when colour is on. */
  style(style: Style | Style[], text: string, forStderr = false): string {
    if (!(forStderr ? this.errColor : this.color) || typeof util.styleText !== 'function') return text
    return util.styleText(style, text)
  }

  /**
   * Writes a line to stdout. Every line the CLI prints goes through here or `warn` / `error`:
   * control characters in it are made visible (see {@link escapeTerminal}), so a tenant's name,
   * URL or payload cannot act on the operator's terminal; only the CLI's own colours pass.
   */
  line(text = ''): void {
    this.#out.write(`${escapeTerminal(text, this.color)}\n`)
  }

  /** Writes a value as pretty JSON to stdout (control characters escaped, as JSON allows). */
  printJson(value: unknown): void {
    this.#out.write(`${escapeJsonForTerminal(JSON.stringify(value, null, 2))}\n`)
  }

  /** Writes a table with a header row. */
  table(head: string[], rows: (string | number | null | undefined)[][]): void {
    const table = new Table({
      head: head.map((h) => this.style('bold', h)),
      style: { head: [], border: this.color ? ['gray'] : [], compact: true },
      wordWrap: true,
    })
    // Escaped per cell, before the table measures widths.
    for (const row of rows) table.push(row.map((c) => (c === null || c === undefined ? this.style('dim', '–') : escapeTerminal(String(c), this.color))))
    this.line(table.toString())
  }

  /** Writes `key  value` pairs as a two-column table. */
  details(pairs: [string, string | number | null | undefined][]): void {
    const table = new Table({ style: { head: [], border: this.color ? ['gray'] : [], compact: true }, wordWrap: true })
    for (const [k, value] of pairs) {
      table.push({ [this.style('bold', k)]: value === null || value === undefined ? this.style('dim', '–') : escapeTerminal(String(value), this.color) })
    }
    this.line(table.toString())
  }

  /** A success line (✔ message). */
  success(message: string): void {
    this.line(`${this.style('green', '✔')} ${message}`)
  }

  /** A warning on stderr. */
  warn(message: string): void {
    this.#err.write(`${this.style('yellow', 'warning:', true)} ${escapeTerminal(message)}\n`)
  }

  /** An error on stderr. */
  error(message: string): void {
    this.#err.write(`${this.style('red', 'error:', true)} ${escapeTerminal(message)}\n`)
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
