import type { Command } from 'commander'
import type { StatsOutput } from '../../management/webhooks/webhook-schemas.js'
import { toStatsOutput } from '../../management/webhooks/webhook-wire.js'
import { runCommand } from '../context.js'
import { shortDate, type Output } from '../output.js'
import { parseTime } from '../parse-options.js'

/** The arguments, options and action of `hookline stats [endpoint-id]` */
export function registerStatsCommand(command: Command): void {
  command
    .argument('[endpoint-id]', 'only this endpoint')
    .option('--since <time>', 'only deliveries created at or after: ISO date/time or a duration ago (24h, 7d)')
    .option('--owner <owner>', 'only endpoints of this tenant')
    .action(async (id: string | undefined, o: { since?: string; owner?: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const since = o.since === undefined ? undefined : parseTime(o.since, '--since')
        if (id !== undefined) {
          const stats = toStatsOutput(id, since, await manager.getStats(id, { since }))
          if (out.json) return out.printJson(stats)
          return printStats(out, stats)
        }
        const rows: StatsOutput[] = []
        for (let offset = 0; offset < 100_000; offset += 500) {
          const page = await manager.listEndpoints({ owner: o.owner, limit: 500, offset })
          for (const e of page) rows.push(toStatsOutput(e.id, since, await manager.getStats(e.id, { since })))
          if (page.length < 500) break
        }
        if (out.json) return out.printJson({ stats: rows })
        if (rows.length === 0) return out.line(out.style('dim', 'No endpoints.'))
        out.table(
          ['ENDPOINT', 'TOTAL', 'SUCCEEDED', 'FAILED', 'DEAD', 'PENDING', 'SUCCESS', 'AVG', 'P95', 'LAST ATTEMPT'],
          rows.map((s) => [
            s.webhook_id,
            s.total,
            out.style('green', String(s.succeeded)),
            s.failed > 0 ? out.style('yellow', String(s.failed)) : s.failed,
            s.dead > 0 ? out.style('red', String(s.dead)) : s.dead,
            s.pending,
            percent(s.success_rate),
            ms(s.average_duration_ms),
            ms(s.p95_duration_ms),
            shortDate(s.last_attempt_at),
          ]),
        )
      }),
    )
}

function printStats(out: Output, s: StatsOutput): void {
  out.details([
    ['Endpoint', s.webhook_id],
    ['Since', s.since === null ? 'the beginning' : shortDate(s.since)],
    ['Deliveries', s.total],
    ['Succeeded', out.style('green', String(s.succeeded))],
    ['Failed (retrying)', s.failed],
    ['Dead', s.dead],
    ['Pending', s.pending],
    ['Attempts', s.attempts],
    ['Success rate', percent(s.success_rate)],
    ['Average duration', ms(s.average_duration_ms)],
    ['p95 duration', ms(s.p95_duration_ms)],
    ['Last attempt', shortDate(s.last_attempt_at)],
  ])
}

/** A rate as a percentage with one decimal. */
export function percent(rate: number | null): string | null {
  return rate === null ? null : `${(rate * 100).toFixed(1)}%`
}

/** A duration in whole ms. */
export function ms(value: number | null): string | null {
  return value === null ? null : `${Math.round(value)} ms`
}
