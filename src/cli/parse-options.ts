import { CliError } from './cli-error.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** `90s`, `15m`, `2h`, `7d`, `1w`, `500ms` or plain milliseconds → milliseconds. */
export function parseDuration(value: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(value.trim())
  if (!m) throw new CliError(`${option}: expected a duration such as 30s, 15m, 2h or 7d, got ${JSON.stringify(value)}`)
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!)
}

/**
 * A point in time: an ISO date or date-time (`2024-01-15`, `2024-01-15T10:30:00Z`) or a duration
 * meaning "that long ago" (`2h`, `7d`).
 */
export function parseTime(value: string, option: string, now = Date.now()): Date {
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)$/.test(trimmed)) return new Date(now - parseDuration(trimmed, option))
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const date = new Date(trimmed.length === 10 ? `${trimmed}T00:00:00Z` : trimmed)
    if (!Number.isNaN(date.getTime())) return date
  }
  throw new CliError(`${option}: expected an ISO date (2024-01-15, 2024-01-15T10:30:00Z) or a duration ago (2h, 7d), got ${JSON.stringify(value)}`)
}

/** A whole number within bounds. */
export function parseInteger(value: string, option: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value)
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`${option}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`)
  }
  return n
}

/** A JSON value given on the command line. */
export function parseJson(value: string, option: string): unknown {
  try {
    return JSON.parse(value) as unknown
  } catch (error) {
    throw new CliError(`${option}: not valid JSON (${(error as Error).message}); quote it, e.g. ${option} '{"key":"value"}'`)
  }
}

/** A JSON object given on the command line. */
export function parseJsonObject(value: string, option: string): Record<string, unknown> {
  const parsed = parseJson(value, option)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${option}: expected a JSON object, got ${JSON.stringify(value)}`)
  return parsed as Record<string, unknown>
}

/** A comma-separated list (repeatable option values are joined first). */
export function parseList(value: string | string[]): string[] {
  const parts = Array.isArray(value) ? value : [value]
  return parts.flatMap((p) => p.split(',')).map((s) => s.trim()).filter((s) => s !== '')
}

/** `Name: value` or `Name=value` header pairs → an object. */
export function parseHeaderPairs(values: string[], option: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of values) {
    const m = /^([^:=\s]+)\s*[:=]\s*(.*)$/.exec(pair)
    if (!m) throw new CliError(`${option}: expected "Name: value", got ${JSON.stringify(pair)}`)
    out[m[1]!] = m[2]!
  }
  return out
}

/** `true/false/yes/no/1/0/on/off` → boolean. */
export function parseBoolean(value: string, option: string): boolean {
  const v = value.trim().toLowerCase()
  if (['true', 'yes', '1', 'on'].includes(v)) return true
  if (['false', 'no', '0', 'off'].includes(v)) return false
  throw new CliError(`${option}: expected true or false, got ${JSON.stringify(value)}`)
}

/** Commander collector of a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}
