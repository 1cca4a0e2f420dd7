/** Global options that take a value in the next argument (unless given as `--name=value`). */
const VALUE_OPTIONS = new Set(['--db', '--config', '--format'])

/**
 * Rewrites seed 003's spelling of a command into hookline's: `webhooks:list` → `webhooks list`
 * (any `group:verb`), wherever the command word stands after the global options. Everything else
 * passes unchanged.
 *
 * @param args - the arguments after `node` and the script
 */
export function normalizeArgv(args: readonly string[]): string[] {
  const out = [...args]
  for (let i = 0; i < out.length; i++) {
    const arg = out[i]!
    if (arg === '--') break
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++
      continue
    }
    const colon = arg.indexOf(':')
    if (colon > 0 && colon < arg.length - 1 && /^[a-z-]+:[a-z-]+$/.test(arg)) out.splice(i, 1, arg.slice(0, colon), arg.slice(colon + 1))
    break
  }
  return out
}
