import { isHooklineError, ValidationError } from '../errors.js'
import { HttpError } from '../management/error-response.js'

/** Exit codes of the CLI. */
export const EXIT = {
  /** Everything worked. */
  ok: 0,
  /** Bad input, a missing record, a database error. */
  error: 1,
  /** The command ran but a delivery attempt failed or did not happen in time (test, trigger, retry, replay). */
  deliveryFailed: 2,
} as const

/** An error with a message meant for the terminal and an exit code. */
export class CliError extends Error {
  readonly exitCode: number

  constructor(message: string, exitCode: number = EXIT.error) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

/**
 * The message to print for an error: hookline errors without their prefix, validation errors
 * with every field (renamed to option names where `optionNames` knows them).
 */
export function describeError(error: unknown, optionNames: Record<string, string> = {}): string {
  if (error instanceof CliError || error instanceof HttpError) return error.message
  if (error instanceof ValidationError) {
    return ['invalid input:', ...error.fields.map((f) => `  ${optionFor(f.field, optionNames)}: ${f.message}`)].join('\n')
  }
  if (isHooklineError(error)) return error.message.replace(/^\[hookline\]\s*/, '')
  if (error instanceof Error) return error.message
  return String(error)
}

function optionFor(field: string, names: Record<string, string>): string {
  if (field === '') return 'input'
  if (names[field]) return names[field]
  const head = field.split('.')[0]!
  return names[head] ? `${names[head]} (${field})` : field
}
