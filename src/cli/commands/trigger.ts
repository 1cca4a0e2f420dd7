import type { Command } from 'commander'
import { toDeliveryOutput } from '../../management/deliveries/delivery-wire.js'
import { EXIT } from '../cli-error.js'
import { runCommand } from '../context.js'
import { parseDuration, parseJson, parseJsonObject } from '../parse-options.js'
import { startProgress } from '../progress.js'
import { runWorkerFor } from '../run-worker.js'
import { printDeliveries } from './deliveries.js'

/** `hookline trigger --event … --data …` */
export function registerTriggerCommand(program: Command): void {
  program
    .command('trigger')
    .description('emit an event and deliver it now (exit code 2 when a delivery failed)')
    .requiredOption('--event <name>', 'event name, e.g. agent.created')
    .option('--data <json>', 'event data as JSON', '{}')
    .option('--metadata <json>', 'JSON object added to the envelope metadata')
    .option('--idempotency-key <key>', 'a repeated trigger with the same key sends nothing new')
    .option('--owner <owner>', 'tenant whose endpoints receive it')
    .option('--no-wait', 'only store it; a running worker delivers it')
    .option('--timeout <duration>', 'how long to wait for the first attempts', '30s')
    .action(
      async (o: { event: string; data: string; metadata?: string; idempotencyKey?: string; owner?: string; wait: boolean; timeout: string }, cmd: Command) =>
        runCommand(
          cmd,
          async ({ manager, out }) => {
            const data = parseJson(o.data, '--data')
            const metadata = o.metadata === undefined ? undefined : parseJsonObject(o.metadata, '--metadata')
            const timeoutMs = parseDuration(o.timeout, '--timeout')
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
