import { createRequire } from 'node:module'
import type { Pool, PoolConfig, Client, ClientConfig } from 'pg'
import { StoreError } from '../../errors.js'

/** The part of the `pg` module the store constructs: a pool, and a client for LISTEN. */
export interface PgModule {
  Pool: new (config: PoolConfig) => Pool
  Client: new (config: ClientConfig) => Client
}

const require = createRequire(import.meta.url)
let loaded: PgModule | undefined

/**
 * The `pg` driver (an optional peer dependency), loaded on first use: importing
 * `hookline/postgres`, or passing your own pool, never needs it. `pg` is CommonJS, so `require`
 * returns the same module instance an `import pg from 'pg'` of the host does.
 *
 * @param use - what needs it, for the message (e.g. `postgresStore({ connectionString })`)
 * @throws StoreError naming `npm install pg` when the package cannot be resolved
 */
export function loadPg(use: string): PgModule {
  if (loaded !== undefined) return loaded
  try {
    loaded = require('pg') as PgModule
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new StoreError(`[postgres] the \`pg\` package is required for ${use}: npm install pg`, { cause: error })
  }
  return loaded
}
