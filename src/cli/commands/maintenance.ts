import type { Command } from 'commander'
import { runCommand } from '../context.js'
import { describeDatabase } from '../open-manager.js'
import { parseDuration, parseTime } from '../parse-options.js'
import { startProgress } from '../progress.js'

/** The action of `hookline migrate` */
export function registerMigrateCommand(command: Command): void {
  command.action(async (_o: unknown, cmd: Command) =>
      runCommand(cmd, async ({ target, out }) => {
        // openManager has migrated already; this command makes it explicit (deploy steps).
        if (out.json) return out.printJson({ migrated: true, database: describeDatabase(target) })
        out.success(`Schema is up to date (${describeDatabase(target)})`)
      }),
    )

}

/** The options and action of `hookline cleanup` */
export function registerCleanupCommand(command: Command): void {
  command
    .option('--older-than <duration|date>', 'age (30d, 12h) or ISO date of the cutoff', '30d')
    .action(async (o: { olderThan: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const before = /^\d{4}-\d{2}-\d{2}/.test(o.olderThan) ? parseTime(o.olderThan, '--older-than') : new Date(Date.now() - parseDuration(o.olderThan, '--older-than'))
        const progress = startProgress(`Deleting records finished before ${before.toISOString()}`, out.stderr)
        const result = await manager.cleanup({ olderThan: before }).finally(() => progress.stop())
        if (out.json) return out.printJson({ before: before.toISOString(), deleted: { deliveries: result.deliveries, attempts: result.attempts, messages: result.messages, incoming_logs: result.incomingLogs } })
        out.success(
          `Deleted ${result.deliveries} deliveries, ${result.attempts} attempts, ${result.messages} messages and ${result.incomingLogs} incoming logs finished before ${before.toISOString()}`,
        )
      }),
    )
}
