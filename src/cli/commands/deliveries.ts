import { Option, type Command } from 'commander'
import { paginate } from '../../management/paginate.js'
import type { AttemptOutput, DeliveryOutput } from '../../management/deliveries/delivery-schemas.js'
import { toDeliveryDetailOutput, toDeliveryOutput } from '../../management/deliveries/delivery-wire.js'
import type { DeliveryStatus } from '../../types.js'
import { CliError, EXIT } from '../cli-error.js'
import { runCommand } from '../context.js'
import { shortDate, truncate, type Output } from '../output.js'
import { collect, parseDuration, parseInteger, parseList, parseTime } from '../parse-options.js'
import { startProgress } from '../progress.js'
import { runWorkerFor } from '../run-worker.js'

const STATUSES = ['pending', 'delivering', 'succeeded', 'failed', 'dead'] as const

function parseStatuses(values: string[] | undefined): DeliveryStatus[] | undefined {
  if (values === undefined) return undefined
  const list = parseList(values)
  const bad = list.filter((s) => !(STATUSES as readonly string[]).includes(s))
  if (bad.length > 0) throw new CliError(`--status: unknown state ${bad.map((s) => JSON.stringify(s)).join(', ')}; use ${STATUSES.join(', ')}`)
  return list as DeliveryStatus[]
}

/** The subcommands of `hookline deliveries …` */
export function registerDeliveryCommands(deliveries: Command): void {

  registerDeliveryListCommand(deliveries.command('list').description('list deliveries, newest first'))

  deliveries
    .command('info')
    .description('show a delivery with every attempt and its event')
    .argument('<id>', 'delivery id')
    .action(async (id: string, _o: unknown, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const d = toDeliveryDetailOutput(await manager.getDelivery(id))
        if (out.json) return out.printJson(d)
        out.details([
          ['ID', d.id],
          ['Endpoint', d.webhook_id],
          ['Event', `${d.event} (${d.message_id})`],
          ['Status', out.status(d.status)],
          ['Attempts', d.attempts],
          ['Next attempt', shortDate(d.next_attempt_at)],
          ['Last result', lastResult(d)],
          ['Created', shortDate(d.created_at)],
          ['Completed', shortDate(d.completed_at)],
        ])
        if (d.attempt_log.length > 0) {
          out.line(out.style('bold', 'Attempts'))
          out.table(
            ['#', 'TRIGGER', 'STARTED', 'STATUS', 'DURATION', 'ERROR'],
            d.attempt_log.map((a) => [a.attempt, a.trigger, shortDate(a.started_at), a.response_status, `${Math.round(a.duration_ms)} ms`, a.error === null ? null : truncate(a.error, 60)]),
          )
        }
        if (d.message) {
          out.line(out.style('bold', 'Event data'))
          out.line(JSON.stringify(d.message.data, null, 2))
        }
      }),
    )

  registerDeliveryRetryCommand(deliveries.command('retry').description('send a delivery again now and wait for the attempt (exit code 2 when it failed)'))

  deliveries
    .command('replay')
    .description('send every failed or dead delivery of an endpoint since a time again')
    .requiredOption('--endpoint <id>', 'endpoint whose deliveries to replay')
    .requiredOption('--since <time>', 'created at or after: ISO date/time or a duration ago (2h, 7d)')
    .option('--until <time>', 'created before')
    .addOption(new Option('--status <list>', 'states to replay (default failed,dead)').argParser(collect))
    .option('--no-wait', 'only queue them; a running worker sends them')
    .option('--timeout <duration>', 'how long to wait for the attempts', '2m')
    .action(async (o: { endpoint: string; since: string; until?: string; status?: string[]; wait: boolean; timeout: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const since = parseTime(o.since, '--since')
        const until = o.until === undefined ? undefined : parseTime(o.until, '--until')
        const statuses = parseStatuses(o.status) ?? ['failed', 'dead']
        const timeoutMs = parseDuration(o.timeout, '--timeout')
        // The deliveries about to be replayed, so their attempts can be followed.
        const targets = await collectDeliveries(manager, o.endpoint, { status: statuses, since, until })
        const replayed = await manager.replayDeliveries({ endpointId: o.endpoint, since, until, statuses })
        if (!o.wait || replayed === 0) {
          if (out.json) return out.printJson({ replayed })
          out.success(`Queued ${replayed} deliver${replayed === 1 ? 'y' : 'ies'} of ${o.endpoint} again`)
          return
        }
        const progress = startProgress(`Replaying ${replayed} deliveries`, out.stderr)
        const baseline = new Map(targets.map((d) => [d.id, d.attempts]))
        const run = await runWorkerFor(manager, [...baseline.keys()], { timeoutMs, baseline, onProgress: (done, total) => progress.update(done, total) }).finally(
          () => progress.stop(),
        )
        const rows = run.deliveries.map(toDeliveryOutput)
        const succeeded = rows.filter((d) => d.status === 'succeeded').length
        if (out.json) out.printJson({ replayed, succeeded, still_failing: rows.length - succeeded, deliveries: rows })
        else {
          out.success(`Replayed ${replayed}: ${succeeded} succeeded, ${rows.length - succeeded} still failing`)
          if (rows.length > 0) printDeliveries(out, rows)
        }
        return succeeded === rows.length ? EXIT.ok : EXIT.deliveryFailed
      }),
    )
}

/** The arguments, options and action of `hookline deliveries list` (and seed 003's `webhooks:deliveries <id>`). */
export function registerDeliveryListCommand(command: Command): void {
  command
    .argument('[endpoint-id]', 'only deliveries to this endpoint')
    .option('--endpoint <id>', 'only deliveries to this endpoint')
    .option('--status <list>', `only these states (${STATUSES.join(', ')}); comma-separated or repeated`, collect)
    .option('--since <time>', 'created at or after: ISO date/time or a duration ago (2h, 7d)')
    .option('--until <time>', 'created before: ISO date/time or a duration ago')
    .option('--limit <n>', 'page size', '50')
    .option('--offset <n>', 'rows to skip', '0')
    .action(async (positional: string | undefined, o: { endpoint?: string; status?: string[]; since?: string; until?: string; limit: string; offset: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const endpointId = o.endpoint ?? positional
        const filter = {
          status: parseStatuses(o.status),
          since: o.since === undefined ? undefined : parseTime(o.since, '--since'),
          until: o.until === undefined ? undefined : parseTime(o.until, '--until'),
        }
        const query = { limit: parseInteger(o.limit, '--limit', 1, 500), offset: parseInteger(o.offset, '--offset') }
        const page = await paginate(query, (limit, offset) =>
          endpointId === undefined
            ? manager.store.listDeliveries({ ...filter, limit, offset })
            : manager.listDeliveries(endpointId, { ...filter, limit, offset }),
        )
        const rows = page.items.map(toDeliveryOutput)
        if (out.json) return out.printJson({ deliveries: rows, has_more: page.has_more, next_offset: page.next_offset })
        if (rows.length === 0) return out.line(out.style('dim', 'No deliveries match.'))
        printDeliveries(out, rows)
        if (page.has_more) out.line(out.style('dim', `More: --offset ${page.next_offset}`))
      }),
    )
}

/**
 * The arguments, options and action of `hookline deliveries retry <id>` (and seed 003's
 * `webhooks:retry --webhook <id> --delivery <delivery-id>`).
 */
export function registerDeliveryRetryCommand(command: Command): void {
  command
    .argument('[delivery-id]', 'delivery id')
    .option('--delivery <id>', 'delivery id (seed 003’s spelling)')
    .option('--webhook <id>', 'the endpoint the delivery belongs to; refused when it is another’s (seed 003)')
    .option('--no-wait', 'only queue it; a running worker sends it')
    .option('--timeout <duration>', 'how long to wait for the attempt', '30s')
    .action(async (positional: string | undefined, o: { delivery?: string; webhook?: string; wait: boolean; timeout: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const id = o.delivery ?? positional
        if (id === undefined) throw new CliError('missing the delivery: hookline deliveries retry <delivery-id> (or --delivery <id>)')
        const timeoutMs = parseDuration(o.timeout, '--timeout')
        const before = await manager.getDelivery(id)
        if (o.webhook !== undefined && before.endpointId !== o.webhook) {
          throw new CliError(`delivery ${JSON.stringify(id)} belongs to endpoint ${JSON.stringify(before.endpointId)}, not ${JSON.stringify(o.webhook)}`)
        }
        const queued = await manager.retryDelivery(id)
        if (!o.wait) {
          if (out.json) return out.printJson(toDeliveryOutput(queued))
          out.success(`Queued ${id} for redelivery`)
          return
        }
        const run = await runWorkerFor(manager, [id], { timeoutMs, baseline: new Map([[id, before.attempts]]) })
        const after = run.deliveries[0] ?? queued
        const wire = toDeliveryOutput(after)
        if (out.json) out.printJson(wire)
        else if (run.unattempted.length > 0) out.warn(`no attempt of ${id} within ${o.timeout}; it stays queued (is the endpoint paused?)`)
        else printDeliveries(out, [wire])
        return run.unattempted.length === 0 && after.status === 'succeeded' ? EXIT.ok : EXIT.deliveryFailed
      }),
    )
}

async function collectDeliveries(
  manager: Parameters<typeof runWorkerFor>[0],
  endpointId: string,
  filter: { status: DeliveryStatus[]; since: Date; until: Date | undefined },
): Promise<{ id: string; attempts: number }[]> {
  const out: { id: string; attempts: number }[] = []
  const pageSize = 500
  for (let offset = 0; offset < 1_000_000; offset += pageSize) {
    const page = await manager.listDeliveries(endpointId, { ...filter, limit: pageSize, offset })
    out.push(...page.map((d) => ({ id: d.id, attempts: d.attempts })))
    if (page.length < pageSize) break
  }
  return out
}

/** Prints deliveries as a table. */
export function printDeliveries(out: Output, rows: DeliveryOutput[]): void {
  out.table(
    ['ID', 'ENDPOINT', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST RESULT', 'CREATED'],
    rows.map((d) => [d.id, d.webhook_id, d.event, out.status(d.status), d.attempts, lastResult(d), shortDate(d.created_at)]),
  )
}

function lastResult(d: DeliveryOutput): string | null {
  if (d.last_status_code === null && d.last_error === null) return null
  if (d.last_error === null) return `HTTP ${d.last_status_code}`
  return truncate(d.last_error, 48)
}

/** Prints one attempt (test sends). */
export function printAttempt(out: Output, a: AttemptOutput): void {
  out.details([
    ['Delivery', a.delivery_id],
    ['Request', `${a.method} ${a.url}`],
    ['Response', a.response_status === null ? null : `HTTP ${a.response_status}`],
    ['Duration', `${Math.round(a.duration_ms)} ms`],
    ['Error', a.error],
    ['Body', a.response_body === null ? null : truncate(a.response_body, 200)],
  ])
}
