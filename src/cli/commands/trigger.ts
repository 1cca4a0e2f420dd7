import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { ValidationError, type FieldIssue } from '../../errors.js'
import type { EmitManyItem, EmitResult } from '../../manager/manager-types.js'
import { triggerBody } from '../../management/events/event-schemas.js'
import { validate } from '../../management/read-request.js'
import { toDeliveryOutput } from '../../management/deliveries/delivery-wire.js'
import { CliError, EXIT } from '../cli-error.js'
import { runCommand, type CommandContext } from '../context.js'
import { parseDuration, parseJson, parseJsonObject } from '../parse-options.js'
import { startProgress } from '../progress.js'
import { runWorkerFor } from '../run-worker.js'
import { printDeliveries } from './deliveries.js'

/**
 * The options and action of `hookline trigger --event … --data …`, or many events as NDJSON
 * (`--ndjson <file|->`, or stdin when it is not a terminal).
 */
export function registerTriggerCommand(command: Command): void {
  command
    .option('--event <name>', 'event name, e.g. agent.created')
    .option('--ndjson <file>', 'read events as NDJSON from this file (- for stdin) instead of --event')
    .option('--data <json>', 'event data as JSON', '{}')
    .option('--metadata <json>', 'JSON object added to the envelope metadata')
    .option('--idempotency-key <key>', 'a repeated trigger with the same key sends nothing new')
    .option('--owner <owner>', 'tenant whose endpoints receive it')
    .option('--no-wait', 'only store it; a running worker delivers it')
    .option('--timeout <duration>', 'how long to wait for the first attempts', '30s')
    .action(
      async (
        o: { event?: string; ndjson?: string; data: string; metadata?: string; idempotencyKey?: string; owner?: string; wait: boolean; timeout: string },
        cmd: Command,
      ) =>
        runCommand(
          cmd,
          async (context) => {
            const { manager, out } = context
            const timeoutMs = parseDuration(o.timeout, '--timeout')
            if (o.event === undefined || o.ndjson !== undefined) {
              if (o.event !== undefined) throw new CliError('give --event or --ndjson, not both')
              if (o.ndjson === undefined && process.stdin.isTTY === true) throw new CliError('--event is required (or pipe NDJSON events to stdin, or give --ndjson <file>)')
              const events = parseNdjsonEvents(await readInput(o.ndjson ?? '-'), o.owner)
              return triggerMany(context, events, { wait: o.wait, timeoutMs, timeout: o.timeout })
            }
            const data = parseJson(o.data, '--data')
            const metadata = o.metadata === undefined ? undefined : parseJsonObject(o.metadata, '--metadata')
            const result = await manager.emit(o.event, data, { metadata, idempotencyKey: o.idempotencyKey, owner: o.owner ?? null })
            const summary = { message_id: result.messageId, delivery_ids: result.deliveryIds, duplicate: result.duplicate }
            if (result.deliveryIds.length === 0 || result.duplicate || !o.wait) {
              if (out.json) return out.printJson({ ...summary, deliveries: [] })
              if (result.duplicate) out.line(`Already triggered with this idempotency key: ${result.messageId}; nothing new was sent.`)
              else if (result.deliveryIds.length === 0) out.warn(`no active endpoint is subscribed to ${o.event}; stored ${result.messageId} without deliveries`)
              else out.success(`Stored ${result.messageId} with ${result.deliveryIds.length} deliveries; a running worker sends them`)
              return
            }
            const progress = startProgress(`Delivering ${o.event}`, out.stderr)
            const run = await runWorkerFor(manager, result.deliveryIds, { timeoutMs, onProgress: (done, total) => progress.update(done, total) }).finally(() =>
              progress.stop(),
            )
            const deliveries = run.deliveries.map(toDeliveryOutput)
            const ok = run.unattempted.length === 0 && deliveries.every((d) => d.status === 'succeeded')
            if (out.json) out.printJson({ ...summary, deliveries })
            else {
              out.success(`Triggered ${o.event} (${result.messageId}) → ${deliveries.length} endpoint${deliveries.length === 1 ? '' : 's'}`)
              printDeliveries(out, deliveries)
              if (run.unattempted.length > 0) out.warn(`${run.unattempted.length} not attempted within ${o.timeout}; they stay queued`)
            }
            return ok ? EXIT.ok : EXIT.deliveryFailed
          },
          { data: '--data', event: '--event' },
        ),
    )
}

/** The whole of `file` (`-`: stdin) as text. */
async function readInput(file: string): Promise<string> {
  if (file !== '-') {
    try {
      return await readFile(file, 'utf8')
    } catch (error) {
      throw new CliError(`cannot read --ndjson ${file}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * NDJSON events: one JSON object per line as `POST /events` takes it (blank lines skipped), each
 * checked before anything is stored; an error names its line (`line 3: data …`). `--owner` is the
 * default owner of lines that name none.
 */
export function parseNdjsonEvents(text: string, owner: string | undefined): { items: EmitManyItem[]; lines: number[] } {
  const items: EmitManyItem[] = []
  const numbers: number[] = []
  const issues: FieldIssue[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    const at = `line ${i + 1}`
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      issues.push({ field: at, message: `not JSON (${error instanceof Error ? error.message : String(error)})` })
      continue
    }
    try {
      const b = validate(triggerBody, value, 'event')
      numbers.push(i + 1)
      items.push({ event: b.event, data: b.data === undefined ? {} : b.data, metadata: b.metadata, idempotencyKey: b.idempotency_key, owner: b.owner === undefined ? (owner ?? null) : b.owner })
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error
      for (const f of error.fields) issues.push({ field: f.field ? `${at}: ${f.field}` : at, message: f.message })
    }
  }
  if (issues.length > 0) throw new ValidationError('NDJSON events', issues)
  if (items.length === 0) throw new CliError('no events in the NDJSON input')
  return { items, lines: numbers }
}

/** Stores NDJSON events together (`emitMany`), then delivers them like a single trigger. */
async function triggerMany(
  { manager, out }: CommandContext,
  { items, lines }: { items: EmitManyItem[]; lines: number[] },
  options: { wait: boolean; timeoutMs: number; timeout: string },
): Promise<number> {
  let results: EmitResult[]
  try {
    results = await manager.emitMany(items)
  } catch (error) {
    // The manager names items by index (`items.3.data`); the input has lines.
    if (!(error instanceof ValidationError)) throw error
    const rename = (field: string): string => field.replace(/^items\.(\d+)(\.?)/, (_, n: string, dot: string) => `line ${lines[Number(n)]}${dot ? ': ' : ''}`)
    throw new ValidationError('NDJSON events', error.fields.map((f) => ({ ...f, field: rename(f.field) })), { cause: error })
  }
  const summary = results.map((r) => ({ message_id: r.messageId, delivery_ids: r.deliveryIds, duplicate: r.duplicate }))
  const ids = results.filter((r) => !r.duplicate).flatMap((r) => r.deliveryIds)
  if (ids.length === 0 || !options.wait) {
    if (out.json) out.printJson({ events: summary, deliveries: [] })
    else out.success(`Stored ${results.length} events (${results.filter((r) => r.duplicate).length} duplicates) with ${ids.length} deliveries${ids.length > 0 ? '; a running worker sends them' : ''}`)
    return EXIT.ok
  }
  const progress = startProgress(`Delivering ${results.length} events`, out.stderr)
  const run = await runWorkerFor(manager, ids, { timeoutMs: options.timeoutMs, onProgress: (done, total) => progress.update(done, total) }).finally(() => progress.stop())
  const deliveries = run.deliveries.map(toDeliveryOutput)
  const ok = run.unattempted.length === 0 && deliveries.every((d) => d.status === 'succeeded')
  if (out.json) out.printJson({ events: summary, deliveries })
  else {
    out.success(`Triggered ${results.length} events → ${deliveries.length} deliveries`)
    printDeliveries(out, deliveries)
    if (run.unattempted.length > 0) out.warn(`${run.unattempted.length} not attempted within ${options.timeout}; they stay queued`)
  }
  return ok ? EXIT.ok : EXIT.deliveryFailed
}
