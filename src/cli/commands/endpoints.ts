import { Option, type Command } from 'commander'
import { paginate } from '../../management/paginate.js'
import { toAttemptOutput } from '../../management/deliveries/delivery-wire.js'
import type { WebhookOutput } from '../../management/webhooks/webhook-schemas.js'
import { toCreateInput, toEndpointInput, toWebhookOutput } from '../../management/webhooks/webhook-wire.js'
import { CliError, EXIT } from '../cli-error.js'
import { runCommand } from '../context.js'
import { ENDPOINT_OPTION_NAMES, endpointBody, type EndpointOptions } from '../endpoint-input.js'
import type { WebhookManager } from '../../manager/webhook-manager.js'
import type { Output } from '../output.js'
import { shortDate, truncate } from '../output.js'
import { collect, parseDuration, parseInteger, parseJson } from '../parse-options.js'
import { printAttempt, registerDeliveryListCommand, registerDeliveryRetryCommand } from './deliveries.js'
import { registerStatsCommand } from './stats.js'
import { registerTriggerCommand } from './trigger.js'

/** Adds the options shared by `create` and `update`. */
function endpointOptions(cmd: Command, mode: 'create' | 'update'): Command {
  if (mode === 'create') {
    cmd.requiredOption('--url <url>', 'target URL (http or https)')
    cmd.requiredOption('--events <list>', 'event names, `prefix.*` or `*`; comma-separated or repeated', collect)
  } else {
    cmd.option('--url <url>', 'new target URL')
    cmd.option('--events <list>', 'replace the subscribed events; comma-separated or repeated', collect)
  }
  return cmd
    .option('--name <name>', 'display name (default: the URL host)')
    .option('--description <text>', 'free text')
    .addOption(new Option('--method <method>', 'HTTP method').choices(['POST', 'PUT', 'PATCH', 'post', 'put', 'patch']))
    .option('--header <header>', 'extra header "Name: value" (repeatable)', collect)
    .option('--headers <json>', 'extra headers as a JSON object')
    .addOption(new Option('--auth-type <type>', 'credentials sent with each request').choices(['basic', 'bearer', 'api-key', 'hmac', 'none']))
    .option('--auth-credentials <json>', 'credentials: {"username","password"} | {"token"} | {"key","header_name"} | {"secret","header_name"}')
    .option('--secret <secret>', mode === 'create' ? 'signing secret (default: generated)' : 'new signing secret (starts a rotation)')
    .addOption(new Option('--signature-scheme <scheme>', 'signature scheme').choices(['hmac-sha256', 'standard-webhooks']))
    .option('--signature-prefix <prefix>', 'text before the hex digest (hmac-sha256): "sha256=" (default) or "" for the bare hex')
    .addOption(
      new Option('--rotation-signatures <which>', 'secrets that sign during a rotation overlap: all (default), or one value: newest or oldest').choices(['all', 'newest', 'oldest']),
    )
    .option('--timeout <duration>', 'request timeout, e.g. 10s')
    .option('--max-attempts <n>', 'attempts before giving up, first one included')
    .addOption(new Option('--retry-strategy <strategy>', 'backoff between attempts').choices(['exponential', 'linear', 'fixed']))
    .option('--retry-delay <duration>', 'delay before the first retry, e.g. 1m')
    .option('--rate-limit <max/interval>', 'at most <max> requests per interval, e.g. 10/1s or 600/1m')
    .option('--concurrency <n>', 'parallel requests to this endpoint')
    .addOption(new Option('--ordering <mode>', 'delivery order: fifo = one at a time, in emit order (per --ordering-key)').choices(['unordered', 'fifo']))
    .option('--ordering-key <path>', 'with fifo: the message field keying the order, e.g. data.customerId (none = one line)')
    .option('--filter <path=value>', 'only events whose data has this value at this path (repeatable)', collect)
    .option('--metadata <json>', 'free-form JSON object of your own')
    .option('--owner <owner>', 'tenant the endpoint belongs to')
    .option('--tls-cert <file>', 'client certificate (PEM file) for mutual TLS; needs --tls-key')
    .option('--tls-key <file>', 'private key of --tls-cert (PEM file; encrypted at rest, never printed)')
    .option('--tls-passphrase <source>', 'passphrase of an encrypted --tls-key: env:NAME, file:PATH or pass:TEXT')
    .option('--tls-ca <file>', 'CA certificates (PEM file) trusted for this receiver')
    .option('--no-tls', 'remove the TLS settings')
    .option('--proxy <url>', 'http(s) CONNECT proxy, e.g. http://user:password@proxy:3128')
    .option('--no-proxy', 'use no proxy of its own (the manager default, if any)')
}

/** The subcommands of `hookline endpoints …` (alias `webhooks`). */
export function registerEndpointCommands(endpoints: Command): void {

  endpoints
    .command('list')
    .description('list endpoints')
    .addOption(
      new Option('--status <status>', 'only endpoints in this state (inactive = paused, as in `update --status`)').choices(['active', 'paused', 'disabled', 'inactive']),
    )
    .option('--event <name>', 'only endpoints subscribed to this event (by name or wildcard)')
    .option('--owner <owner>', 'only endpoints of this tenant')
    .option('--limit <n>', 'page size', '50')
    .option('--offset <n>', 'rows to skip', '0')
    .action(async (o: { status?: 'active' | 'paused' | 'disabled' | 'inactive'; event?: string; owner?: string; limit: string; offset: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const query = { limit: parseInteger(o.limit, '--limit', 1, 500), offset: parseInteger(o.offset, '--offset') }
        const status = o.status === 'inactive' ? 'paused' : o.status
        const page = await paginate(query, (limit, offset) => manager.listEndpoints({ status, event: o.event, owner: o.owner, limit, offset }))
        const webhooks = page.items.map(toWebhookOutput)
        if (out.json) return out.printJson({ webhooks, has_more: page.has_more, next_offset: page.next_offset })
        if (webhooks.length === 0) return out.line(out.style('dim', await emptyListMessage(manager, o)))
        out.table(
          ['ID', 'NAME', 'URL', 'EVENTS', 'STATUS', 'CREATED'],
          webhooks.map((w) => [w.id, truncate(w.name, 24), truncate(w.url, 48), truncate(w.events.join(', '), 40), out.status(w.status), shortDate(w.created_at)]),
        )
        if (page.has_more) out.line(out.style('dim', `More: --offset ${page.next_offset}`))
      }),
    )

  endpointOptions(endpoints.command('create').description('register an endpoint'), 'create')
    .option('--paused', 'create it paused')
    .action(async (o: EndpointOptions, cmd: Command) =>
      runCommand(
        cmd,
        async ({ manager, out }) => {
          const body = endpointBody(o, 'create')
          const webhook = toWebhookOutput(await manager.createEndpoint(toCreateInput(body as Parameters<typeof toCreateInput>[0])))
          if (out.json) return out.printJson(webhook)
          out.success(`Created endpoint ${out.style('bold', webhook.id)}`)
          printEndpoint(out, webhook)
          out.line(out.style('yellow', 'Give the receiver this secret to verify signatures; `hookline endpoints info <id> --show-secret` shows it again.'))
        },
        ENDPOINT_OPTION_NAMES,
      ),
    )

  endpoints
    .command('info')
    .description('show an endpoint')
    .argument('<id>', 'endpoint id')
    .option('--show-secret', 'also show the current signing secret')
    .action(async (id: string, o: { showSecret?: boolean }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const webhook = toWebhookOutput(await manager.getEndpoint(id, { includeSecret: o.showSecret === true }))
        if (out.json) return out.printJson(webhook)
        printEndpoint(out, webhook)
      }),
    )

  endpointOptions(endpoints.command('update').description('change an endpoint (only the options given)').argument('<id>', 'endpoint id'), 'update')
    .option('--active <bool>', 'true resumes, false pauses')
    .addOption(new Option('--status <status>', 'active, or paused/inactive').choices(['active', 'paused', 'inactive']))
    .action(async (id: string, o: EndpointOptions, cmd: Command) =>
      runCommand(
        cmd,
        async ({ manager, out }) => {
          const input = toEndpointInput(endpointBody(o, 'update'))
          if (Object.keys(input).length === 0) throw new CliError('nothing to change: give at least one option (see hookline endpoints update --help)')
          const webhook = toWebhookOutput(await manager.updateEndpoint(id, input))
          if (out.json) return out.printJson(webhook)
          out.success(`Updated endpoint ${out.style('bold', webhook.id)}`)
          printEndpoint(out, webhook)
        },
        ENDPOINT_OPTION_NAMES,
      ),
    )

  endpoints
    .command('delete')
    .description('delete an endpoint and its unfinished deliveries')
    .argument('<id>', 'endpoint id')
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (id: string, o: { force?: boolean }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const webhook = await manager.getEndpoint(id)
        if (o.force !== true) {
          if (process.stdin.isTTY !== true || out.json) throw new CliError(`refusing to delete ${id} without confirmation: add --force`)
          const answer = await out.ask(`Delete endpoint ${id} (${webhook.url})? [y/N] `)
          if (!/^y(es)?$/i.test(answer.trim())) {
            out.line('Cancelled.')
            return EXIT.error
          }
        }
        await manager.deleteEndpoint(id)
        if (out.json) return out.printJson({ id, deleted: true })
        out.success(`Deleted endpoint ${id}`)
      }),
    )

  for (const [verb, description] of [
    ['pause', 'stop sending to an endpoint (deliveries wait)'],
    ['resume', 'resume a paused or disabled endpoint'],
  ] as const) {
    endpoints
      .command(verb)
      .description(description)
      .argument('<id>', 'endpoint id')
      .action(async (id: string, _o: unknown, cmd: Command) =>
        runCommand(cmd, async ({ manager, out }) => {
          const view = verb === 'pause' ? await manager.pauseEndpoint(id) : await manager.resumeEndpoint(id)
          const webhook = toWebhookOutput(view)
          if (out.json) return out.printJson(webhook)
          out.success(`Endpoint ${webhook.id} is now ${out.status(webhook.status)}`)
        }),
      )
  }

  endpoints
    .command('test')
    .description('send a test event now and show the answer (exit code 2 when it failed)')
    .argument('<id>', 'endpoint id')
    .option('--event <name>', 'event name of the test message', 'webhook.test')
    .option('--data <json>', 'payload (default: the event type’s example, else {"test": true})')
    .action(async (id: string, o: { event: string; data?: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const data = o.data === undefined ? undefined : parseJson(o.data, '--data')
        const attempt = await manager.testEndpoint(id, { event: o.event, data })
        const delivery = await manager.store.getDelivery(attempt.deliveryId)
        const status = attempt.succeeded ? 'sent' : 'failed'
        if (out.json) {
          out.printJson({ status, test_event_id: delivery?.messageId ?? null, delivery_id: attempt.deliveryId, attempt: toAttemptOutput(attempt) })
        } else {
          const line = `Test ${o.event} → ${attempt.url}: ${out.status(status)}`
          if (attempt.succeeded) out.success(line)
          else out.line(`${out.style('red', '✖')} ${line}`)
          printAttempt(out, toAttemptOutput(attempt))
        }
        return attempt.succeeded ? EXIT.ok : EXIT.deliveryFailed
      }),
    )

  endpoints
    .command('rotate-secret')
    .description('start using a new signing secret; the old one keeps signing during the overlap')
    .argument('<id>', 'endpoint id')
    .option('--secret <secret>', 'the new secret (default: generated)')
    .option('--overlap <duration>', 'how long the old secret keeps signing too, e.g. 24h')
    .action(async (id: string, o: { secret?: string; overlap?: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const overlapMs = o.overlap === undefined ? undefined : parseDuration(o.overlap, '--overlap')
        const webhook = toWebhookOutput(await manager.rotateSecret(id, { secret: o.secret, overlapMs }))
        if (out.json) return out.printJson(webhook)
        out.success(`Rotated the secret of ${webhook.id}`)
        out.details([
          ['New secret', webhook.secret],
          ['Old secret signs until', shortDate(webhook.previous_secret_expires_at)],
        ])
      }),
    )

  // Seed 003's verbs of its `webhooks:` group that hookline spells as top-level commands: the same
  // commands under both names.
  registerDeliveryListCommand(endpoints.command('deliveries').description('list deliveries (`hookline deliveries list`; seed 003’s `webhooks:deliveries <id>`)'))
  registerDeliveryRetryCommand(endpoints.command('retry').description('send a delivery again (`hookline deliveries retry`; seed 003’s `webhooks:retry --webhook <id> --delivery <id>`)'))
  registerStatsCommand(endpoints.command('stats').description('delivery statistics (`hookline stats`; seed 003’s `webhooks:stats <id>`)'))
  registerTriggerCommand(endpoints.command('trigger').description('emit an event and deliver it now (`hookline trigger`; seed 003’s `webhooks:trigger`)'))
}

/** Prints an endpoint as a details table. */
export function printEndpoint(out: Output, w: WebhookOutput): void {
  const rows: [string, string | number | null][] = [
    ['ID', w.id],
    ['Name', w.name],
    ['URL', `${w.method} ${w.url}`],
    ['Events', w.events.join(', ')],
    ['Status', out.status(w.status) + (w.disabled_reason ? ` (${w.disabled_reason})` : '')],
    ['Signature', w.signature_scheme + (w.rotation_signatures === 'all' ? '' : ` (during a rotation: ${w.rotation_signatures} secret only)`)],
  ]
  if (w.secret !== undefined) rows.push(['Secret', out.style('yellow', w.secret)])
  if (w.owner !== null) rows.push(['Owner', w.owner])
  if (w.description) rows.push(['Description', w.description])
  if (Object.keys(w.headers).length > 0) rows.push(['Headers', Object.entries(w.headers).map(([k, v]) => `${k}: ${v}`).join('\n')])
  if (w.auth) rows.push(['Auth', w.auth.type])
  if (w.filters) rows.push(['Filters', JSON.stringify(w.filters)])
  if (w.timeout_ms !== null) rows.push(['Timeout', `${w.timeout_ms} ms`])
  if (w.retry_policy) rows.push(['Retry policy', JSON.stringify(w.retry_policy)])
  if (w.rate_limit) rows.push(['Rate limit', `${w.rate_limit.max} per ${w.rate_limit.interval_ms} ms`])
  if (w.concurrency !== null) rows.push(['Concurrency', w.concurrency])
  if (w.ordering === 'fifo') rows.push(['Ordering', w.ordering_key === null ? 'fifo' : `fifo per ${w.ordering_key}`])
  if (Object.keys(w.metadata).length > 0) rows.push(['Metadata', JSON.stringify(w.metadata)])
  if (w.tls) rows.push(['TLS', describeTls(w.tls)])
  if (w.proxy) rows.push(['Proxy', w.proxy])
  if (w.failing_since) rows.push(['Failing since', shortDate(w.failing_since)])
  rows.push(['Created', shortDate(w.created_at)], ['Updated', shortDate(w.updated_at)])
  out.details(rows)
}

/** The TLS settings of an endpoint in a few lines: which client certificate, never the key. */
function describeTls(tls: NonNullable<WebhookOutput['tls']>): string {
  const lines: string[] = []
  if (tls.cert) {
    const expires = tls.cert_expires_at ? `, expires ${shortDate(tls.cert_expires_at)}` : ''
    lines.push(`client certificate ${tls.cert_subject ?? '(unreadable)'}${expires}`)
    if (tls.cert_fingerprint) lines.push(`  sha256 ${tls.cert_fingerprint}`)
    lines.push(`client key ${tls.key ?? '–'}${tls.passphrase ? ', passphrase [redacted]' : ''}`)
  }
  if (tls.ca) lines.push(`CA bundle: ${(tls.ca.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length} certificate(s)`)
  return lines.join('\n')
}

/**
 * What an empty `endpoints list` says: with a filter and endpoints in the database, that none
 * match it (not that there are none); with no endpoints at all, how to create one.
 */
async function emptyListMessage(manager: WebhookManager, o: { status?: string; event?: string; owner?: string; offset: string }): Promise<string> {
  const filters = [
    o.status === undefined ? null : `--status ${o.status}${o.status === 'inactive' ? ' (paused)' : ''}`,
    o.event === undefined ? null : `--event ${o.event}`,
    o.owner === undefined ? null : `--owner ${o.owner}`,
  ].filter((f): f is string => f !== null)
  const any = (await manager.listEndpoints({ limit: 1 })).length > 0
  if (!any) return 'No endpoints. Create one with: hookline endpoints create --url <url> --events <list>'
  if (filters.length > 0) return `No endpoints match ${filters.join(' ')}; there are endpoints in other states or for other events (hookline endpoints list shows them all).`
  return `No endpoints at --offset ${o.offset}.`
}
