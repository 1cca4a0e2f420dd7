import { createRequire } from 'node:module'

/** The undici package (CommonJS: `require` and `import` give the same instance). */
type Undici = typeof import('undici')

const require = createRequire(import.meta.url)
let loaded: Undici | undefined

/**
 * undici, loaded when the first transport is made rather than when hookline is imported: about a
 * third of `import('hookline')` went to undici, which receivers, the CLI's `--help` and hosts that
 * only read types never use.
 */
export function undici(): Undici {
  return (loaded ??= require('undici') as Undici)
}
