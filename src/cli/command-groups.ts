import type { Command } from 'commander'

/**
 * A top-level command of `hookline`: declared at start-up with its name and description (enough
 * for `--help` and `--version`), its options, subcommands and action loaded only when it runs.
 */
export interface CommandGroup {
  /** Command name. */
  name: string
  /** Other names it answers to. */
  aliases?: readonly string[]
  /** One line for `hookline --help`. */
  description: string
  /** Loads the module that fills the declared command in. */
  load(): Promise<(command: Command) => void>
}

/** Every top-level command, in the order `hookline --help` lists them. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    name: 'endpoints',
    aliases: ['webhooks'],
    description: 'manage the endpoints that receive your events',
    load: async () => (await import('./commands/endpoints.js')).registerEndpointCommands,
  },
  {
    name: 'deliveries',
    description: 'inspect, retry and replay deliveries',
    load: async () => (await import('./commands/deliveries.js')).registerDeliveryCommands,
  },
  {
    name: 'stats',
    description: 'delivery statistics of one endpoint, or of every endpoint',
    load: async () => (await import('./commands/stats.js')).registerStatsCommand,
  },
  {
    name: 'trigger',
    description:
      'emit an event and deliver it now (exit code 2 when a delivery failed); without --event, reads events as NDJSON ' +
      '(--ndjson <file>, - or no --event with a piped stdin): one {"event", "data", "metadata", "idempotency_key", "owner"} per line, all stored in one transaction',
    load: async () => (await import('./commands/trigger.js')).registerTriggerCommand,
  },
  {
    name: 'event-types',
    description: 'list the event types registered by the --config module',
    load: async () => (await import('./commands/event-types.js')).registerEventTypesCommand,
  },
  {
    name: 'incoming',
    description: 'manage incoming hooks (token URLs that accept webhooks from other systems)',
    load: async () => (await import('./commands/incoming.js')).registerIncomingCommands,
  },
  {
    name: 'migrate',
    description: 'create or upgrade the database schema (every command also does this first)',
    load: async () => (await import('./commands/maintenance.js')).registerMigrateCommand,
  },
  {
    name: 'cleanup',
    description: 'delete finished deliveries, their attempts and incoming logs older than a cutoff',
    load: async () => (await import('./commands/maintenance.js')).registerCleanupCommand,
  },
  {
    name: 'workers',
    description: 'list the worker processes sharing the database (heartbeats, deliveries in flight, lost workers)',
    load: async () => (await import('./commands/workers.js')).registerWorkersCommand,
  },
  {
    name: 'secrets',
    description: 'secrets at rest (keys from HOOKLINE_ENCRYPTION_KEYS=id:base64[,id2:base64…], the first encrypting)',
    load: async () => (await import('./commands/secrets.js')).registerSecretsCommands,
  },
]
