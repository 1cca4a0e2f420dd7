import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseEncryptionKeyList, type EncryptionKeyInput } from '../crypto/secret-codec.js'
import type { EventTypeOptions } from '../events/event-catalog.js'
import type { EgressOptions } from '../dispatch/egress-guard.js'
import type { WebhookManagerOptions } from '../manager/options.js'
import { createWebhookManager, type WebhookManager } from '../manager/webhook-manager.js'
import type { WebhookStore } from '../store/types.js'
import { CliError } from './cli-error.js'

/** Options every command accepts. */
export interface GlobalOptions {
  /** SQLite file path or Postgres URL. */
  db?: string
  /** Print JSON instead of tables. */
  json?: boolean
  /** `--format json|table` (seed 003): `json` is `--json`. */
  format?: 'json' | 'table'
  /** `false` with `--no-color`. */
  color?: boolean
  /** Module that configures the manager (event types, retry policy…). */
  config?: string
  /** `--egress-allow`: comma-separated hosts and CIDR ranges the egress guard admits. */
  egressAllow?: string
  /** `--egress-allow-private`: admit private networks. */
  egressAllowPrivate?: boolean
}

/**
 * What a `--config` module may default-export: a function that receives the manager (to register
 * event types), or an object with manager options and event types.
 * @example
 * // hookline.config.js
 * export default {
 *   manager: { signatureScheme: 'standard-webhooks' },
 *   eventTypes: { 'agent.created': { description: 'An agent was created', example: { agent_id: 'agent_123' } } },
 * }
 */
export type CliConfig =
  | ((manager: WebhookManager) => void | Promise<void>)
  | {
      manager?: Omit<WebhookManagerOptions, 'store'>
      eventTypes?: Record<string, EventTypeOptions>
      setup?: (manager: WebhookManager) => void | Promise<void>
    }

/** The database a `--db` value names. */
export type DatabaseTarget = { kind: 'postgres'; url: string; schema?: string } | { kind: 'sqlite'; filename: string }

/**
 * Reads `--db` / HOOKLINE_DB: a `postgres://` URL (a `schema` query parameter picks hookline's
 * schema, default `hookline`), or a SQLite file path (optionally `sqlite:` prefixed).
 */
export function resolveDatabase(value: string | undefined, env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  const raw = (value ?? env.HOOKLINE_DB ?? '').trim()
  if (raw === '') throw new CliError('no database given: pass --db <sqlite-file | postgres://url> or set HOOKLINE_DB')
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new CliError('--db: not a valid postgres:// URL')
    }
    const schema = url.searchParams.get('schema')
    if (schema === null) return { kind: 'postgres', url: raw }
    url.searchParams.delete('schema')
    return { kind: 'postgres', url: url.toString(), schema }
  }
  // `mysql://…`, `redis://…`, `file://…`: a URL of a store hookline has no adapter for (a
  // Windows path such as C:\x has no `//` after its colon).
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]
  if (scheme !== undefined && !/^sqlite$/i.test(scheme)) {
    throw new CliError(`--db: unsupported database URL scheme "${scheme}:"; supported: a SQLite file path (./hooks.db or sqlite:./hooks.db) or a postgres:// / postgresql:// URL`)
  }
  const filename = raw.replace(/^sqlite:(\/\/)?/i, '')
  if (filename === '') throw new CliError('--db: the SQLite file path is empty')
  return { kind: 'sqlite', filename }
}

/** A printable name of the database, without a password. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return `sqlite ${target.filename}`
  const url = target.url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')
  return `postgres ${url}${target.schema === undefined ? '' : ` (schema ${target.schema})`}`
}

/** Opens the store a target names. The store modules are loaded only when used. */
export async function openStore(target: DatabaseTarget): Promise<WebhookStore> {
  if (target.kind === 'postgres') {
    const { postgresStore } = await import('../store/postgres/index.js')
    return postgresStore({ connectionString: target.url, ...(target.schema === undefined ? {} : { schema: target.schema }) })
  }
  const directory = dirname(resolve(target.filename))
  if (target.filename !== ':memory:' && !existsSync(directory)) {
    throw new CliError(`--db: the directory ${JSON.stringify(directory)} of the SQLite file does not exist; create it first (the file itself is created when missing)`)
  }
  const { sqliteStore } = await import('../store/sqlite/index.js')
  return sqliteStore({ filename: target.filename })
}

/** Loads a `--config` module (or HOOKLINE_CONFIG). */
export async function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<CliConfig | null> {
  const file = path ?? env.HOOKLINE_CONFIG
  if (file === undefined || file === '') return null
  const absolute = resolve(file)
  if (!existsSync(absolute)) throw new CliError(`--config: no such file ${JSON.stringify(file)}`)
  let mod: { default?: unknown }
  try {
    mod = (await import(pathToFileURL(absolute).href)) as { default?: unknown }
  } catch (error) {
    throw new CliError(`--config: cannot load ${JSON.stringify(file)}: ${(error as Error).message}`)
  }
  const config = mod.default
  if (typeof config !== 'function' && (typeof config !== 'object' || config === null)) {
    throw new CliError(`--config: ${JSON.stringify(file)} must default-export a function (manager) => void or an object { manager, eventTypes, setup }`)
  }
  return config as CliConfig
}

/** Name of the environment variable that holds the CLI's encryption keys. */
export const ENCRYPTION_KEYS_ENV = 'HOOKLINE_ENCRYPTION_KEYS'

/**
 * The encryption keys of a CLI run, from HOOKLINE_ENCRYPTION_KEYS (`id:base64[,id2:base64…]`, the
 * first key encrypting), or `undefined` when it is unset or empty. Keys are never taken from a flag:
 * command lines are visible to every user of the machine (`ps`).
 * @throws ValidationError naming `HOOKLINE_ENCRYPTION_KEYS.<n>` for a malformed entry
 */
export function encryptionKeysFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionKeyInput[] | undefined {
  const raw = env[ENCRYPTION_KEYS_ENV]
  if (raw === undefined || raw.trim() === '') return undefined
  return parseEncryptionKeyList(raw, ENCRYPTION_KEYS_ENV)
}

/**
 * The egress rules of a CLI run: the config module's `manager.egress`, plus `--egress-allow` (or
 * HOOKLINE_EGRESS_ALLOW, comma-separated) and `--egress-allow-private` (or
 * HOOKLINE_EGRESS_ALLOW_PRIVATE=1 / true).
 */
export function resolveEgress(globals: GlobalOptions, base: EgressOptions | undefined, env: NodeJS.ProcessEnv = process.env): EgressOptions | undefined {
  const list = globals.egressAllow ?? env.HOOKLINE_EGRESS_ALLOW
  const allow = (list ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  const envPrivate = /^(1|true|yes)$/i.test((env.HOOKLINE_EGRESS_ALLOW_PRIVATE ?? '').trim())
  const allowPrivate = globals.egressAllowPrivate === true || envPrivate
  if (allow.length === 0 && !allowPrivate) return base
  return {
    ...base,
    allow: [...(base?.allow ?? []), ...allow],
    ...(allowPrivate ? { allowPrivateNetworks: true } : {}),
  }
}

/** The manager of a CLI run: the store of `--db`, configured by `--config`, migrated. */
export async function openManager(globals: GlobalOptions): Promise<{ manager: WebhookManager; target: DatabaseTarget }> {
  const target = resolveDatabase(globals.db)
  const config = await loadConfig(globals.config)
  const encryptionKeys = encryptionKeysFromEnv()
  const store = await openStore(target)
  const options = typeof config === 'object' && config !== null ? (config.manager ?? {}) : {}
  // A CLI run is a short-lived worker at most: it writes no heartbeat to the worker registry.
  // HOOKLINE_ENCRYPTION_KEYS, when set, wins over a --config module's `manager.encryptionKeys`.
  const egress = resolveEgress(globals, options.egress)
  let manager: WebhookManager
  try {
    manager = createWebhookManager({ pollIntervalMs: 200, workerHeartbeat: false, ...options, ...(encryptionKeys === undefined ? {} : { encryptionKeys }), ...(egress ? { egress } : {}), store })
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
  try {
    if (typeof config === 'function') await config(manager)
    else if (config) {
      for (const [name, type] of Object.entries(config.eventTypes ?? {})) manager.registerEventType(name, type)
      await config.setup?.(manager)
    }
    await manager.migrate()
  } catch (error) {
    await manager.close({ drain: false }).catch(() => {})
    throw error
  }
  return { manager, target }
}
