import { MAX_RATE_LIMIT_PER_MINUTE } from '../../incoming/incoming-schema.js'
import { Option, type Command } from 'commander'
import { paginate } from '../../management/paginate.js'
import { createIncomingBody, patchIncomingBody, type IncomingHookOutput, type IncomingStatsOutput } from '../../management/incoming/incoming-schemas.js'
import type { CreateIncomingHookInput } from '../../incoming/incoming-schema.js'
import { toIncomingHookOutput, toIncomingInput, toIncomingLogOutput, toIncomingStatsOutput } from '../../management/incoming/incoming-wire.js'
import { validate } from '../../management/read-request.js'
import { CliError, EXIT } from '../cli-error.js'
import { runCommand } from '../context.js'
import { shortDate, truncate, type Output } from '../output.js'
import { collect, parseBoolean, parseDuration, parseInteger, parseJsonObject, parseTime } from '../parse-options.js'
import { ms, percent } from './stats.js'

interface IncomingOptions {
  name?: string
  route?: string
  description?: string
  transform?: string
  transformJson?: string
  rateLimit?: string
  allowIp?: string[]
  verify?: string
  verifySecret?: string
  verifyHeader?: string
  verifyEncoding?: string
  verifyPrefix?: string
  tolerance?: string
  dedupeWindow?: string
  dedupeHeader?: string
  maxBody?: string
  metadata?: string
  owner?: string
  active?: string
}

const OPTION_NAMES: Record<string, string> = {
  name: '--name',
  route: '--route',
  description: '--description',
  transform: '--transform/--transform-json',
  rate_limit_per_minute: '--rate-limit',
  allowed_ips: '--allow-ip',
  verification: '--verify/--verify-secret',
  dedupe_window_ms: '--dedupe-window',
  dedupe_header: '--dedupe-header',
  max_body_bytes: '--max-body',
  metadata: '--metadata',
  owner: '--owner',
  active: '--active',
}

function hookOptions(cmd: Command, mode: 'create' | 'update'): Command {
  if (mode === 'create') cmd.requiredOption('--name <name>', 'display name')
  else cmd.option('--name <name>', 'display name')
  return cmd
    .option('--route <route>', 'host handler the payload goes to (manager.onIncoming(route, …))')
    .option('--description <text>', 'free text')
    .option('--transform <template>', 'Nunjucks template that reshapes the payload')
    .option('--transform-json <json>', 'object of Nunjucks templates (JSON)')
    .option('--rate-limit <n>', 'requests accepted per minute (up to 10000000), or none for no limit')
    .option('--allow-ip <cidr>', 'accept only this address or range (repeatable)', collect)
    .addOption(new Option('--verify <type>', 'signature check of incoming requests').choices(['standard-webhooks', 'github', 'stripe', 'hmac', 'none']))
    .option('--verify-secret <secret>', 'secret of the signature check')
    .option('--verify-header <name>', 'signature header (hmac)')
    .addOption(new Option('--verify-encoding <encoding>', 'digest encoding (hmac)').choices(['hex', 'base64']))
    .option('--verify-prefix <prefix>', 'text before the digest, e.g. sha256= (hmac)')
    .option('--tolerance <seconds>', 'accepted clock skew (standard-webhooks, stripe)')
    .option('--dedupe-window <duration>', 'acknowledge repeats of a delivery id within this window without handling them')
    .option('--dedupe-header <name>', 'header holding the sender’s delivery id')
    .option('--max-body <bytes>', 'largest accepted body')
    .option('--metadata <json>', 'free-form JSON object of your own')
    .option('--owner <owner>', 'tenant the hook belongs to')
    .option('--active <bool>', 'false: the hook answers 404')
}

function hookBody(o: IncomingOptions, mode: 'create' | 'update') {
  const body: Record<string, unknown> = {}
  if (o.name !== undefined) body.name = o.name
  if (o.route !== undefined) body.route = o.route
  if (o.description !== undefined) body.description = o.description
  if (o.transform !== undefined && o.transformJson !== undefined) throw new CliError('give --transform or --transform-json, not both')
  if (o.transform !== undefined) body.transform = o.transform
  if (o.transformJson !== undefined) body.transform = parseJsonObject(o.transformJson, '--transform-json')
  if (o.rateLimit !== undefined) {
    body.rate_limit_per_minute = o.rateLimit.trim() === 'none' ? null : parseInteger(o.rateLimit, '--rate-limit', 1, MAX_RATE_LIMIT_PER_MINUTE)
  }
  if (o.allowIp !== undefined) body.allowed_ips = o.allowIp
  if (o.verify === 'none') body.verification = null
  else if (o.verify !== undefined) {
    const ver: Record<string, unknown> = { type: o.verify, secret: o.verifySecret }
    if (o.verifyHeader !== undefined) ver.header = o.verifyHeader
    if (o.verifyEncoding !== undefined) ver.encoding = o.verifyEncoding
    if (o.verifyPrefix !== undefined) ver.prefix = o.verifyPrefix
    if (o.tolerance !== undefined) ver.tolerance_seconds = parseInteger(o.tolerance, '--tolerance', 1, 86_400)
    body.verification = ver
  } else if (o.verifySecret !== undefined) throw new CliError('--verify-secret needs --verify <type>')
  if (o.dedupeWindow !== undefined) body.dedupe_window_ms = parseDuration(o.dedupeWindow, '--dedupe-window')
  if (o.dedupeHeader !== undefined) body.dedupe_header = o.dedupeHeader
  if (o.maxBody !== undefined) body.max_body_bytes = parseInteger(o.maxBody, '--max-body', 1)
  if (o.metadata !== undefined) body.metadata = parseJsonObject(o.metadata, '--metadata')
  if (o.owner !== undefined) body.owner = o.owner
  if (o.active !== undefined) body.active = parseBoolean(o.active, '--active')
  return validate(mode === 'create' ? createIncomingBody : patchIncomingBody, body, 'incoming hook options')
}

/** The subcommands of `hookline incoming …` */
export function registerIncomingCommands(incoming: Command): void {

  incoming
    .command('list')
    .description('list incoming hooks')
    .option('--owner <owner>', 'only hooks of this tenant')
    .option('--limit <n>', 'page size', '50')
    .option('--offset <n>', 'rows to skip', '0')
    .action(async (o: { owner?: string; limit: string; offset: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const query = { limit: parseInteger(o.limit, '--limit', 1, 500), offset: parseInteger(o.offset, '--offset') }
        const page = await paginate(query, (limit, offset) => manager.listIncomingHooks({ owner: o.owner, limit, offset }))
        const hooks = page.items.map(toIncomingHookOutput)
        if (out.json) return out.printJson({ incoming_hooks: hooks, has_more: page.has_more, next_offset: page.next_offset })
        if (hooks.length === 0) return out.line(out.style('dim', 'No incoming hooks. Create one with: hookline incoming create --name <name> --route <route>'))
        out.table(
          ['ID', 'NAME', 'ROUTE', 'TOKEN', 'VERIFY', 'ACTIVE', 'CREATED'],
          hooks.map((h) => [h.id, truncate(h.name, 30), h.route, `${h.token_prefix}…`, h.verification?.type ?? 'none', h.active ? out.status('active') : out.status('paused'), shortDate(h.created_at)]),
        )
      }),
    )

  hookOptions(incoming.command('create').description('create an incoming hook (prints its token once)'), 'create').action(async (o: IncomingOptions, cmd: Command) =>
    runCommand(
      cmd,
      async ({ manager, out }) => {
        const hook = toIncomingHookOutput(await manager.createIncomingHook(toIncomingInput(hookBody(o, 'create')) as CreateIncomingHookInput))
        if (out.json) return out.printJson(hook)
        out.success(`Created incoming hook ${out.style('bold', hook.id)}`)
        printHook(out, hook)
        if (hook.token !== undefined) out.line(out.style('yellow', 'Save the token now: it is not shown again.'))
      },
      OPTION_NAMES,
    ),
  )

  incoming
    .command('info')
    .description('show an incoming hook')
    .argument('<id>', 'hook id')
    .action(async (id: string, _o: unknown, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const hook = toIncomingHookOutput(await manager.getIncomingHook(id))
        if (out.json) return out.printJson(hook)
        printHook(out, hook)
      }),
    )

  hookOptions(incoming.command('update').description('change an incoming hook (only the options given)').argument('<id>', 'hook id'), 'update').action(
    async (id: string, o: IncomingOptions, cmd: Command) =>
      runCommand(
        cmd,
        async ({ manager, out }) => {
          const input = toIncomingInput(hookBody(o, 'update'))
          if (Object.keys(input).length === 0) throw new CliError('nothing to change: give at least one option (see hookline incoming update --help)')
          const hook = toIncomingHookOutput(await manager.updateIncomingHook(id, input))
          if (out.json) return out.printJson(hook)
          out.success(`Updated incoming hook ${hook.id}`)
          printHook(out, hook)
        },
        OPTION_NAMES,
      ),
  )

  incoming
    .command('delete')
    .description('delete an incoming hook and its logs')
    .argument('<id>', 'hook id')
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (id: string, o: { force?: boolean }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        await manager.getIncomingHook(id)
        if (o.force !== true) throw new CliError(`refusing to delete ${id} without --force`)
        await manager.deleteIncomingHook(id)
        if (out.json) return out.printJson({ id, deleted: true })
        out.success(`Deleted incoming hook ${id}`)
        return EXIT.ok
      }),
    )

  incoming
    .command('rotate-token')
    .description('issue a new token; the old URL stops working at once')
    .argument('<id>', 'hook id')
    .action(async (id: string, _o: unknown, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const hook = toIncomingHookOutput(await manager.rotateIncomingToken(id))
        if (out.json) return out.printJson(hook)
        out.success(`New token for ${hook.id}`)
        out.details([
          ['Token', out.style('yellow', hook.token ?? '')],
          ['Path', hook.path],
        ])
        out.line(out.style('yellow', 'Save the token now: it is not shown again.'))
      }),
    )

  incoming
    .command('stats')
    .description('statistics of the requests an incoming hook received')
    .argument('<id>', 'hook id')
    .option('--since <time>', 'only requests received at or after: ISO date/time or a duration ago (24h, 7d)')
    .action(async (id: string, o: { since?: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const since = o.since === undefined ? undefined : parseTime(o.since, '--since')
        const stats = toIncomingStatsOutput(id, since, await manager.getIncomingStats(id, { since }))
        if (out.json) return out.printJson(stats)
        printIncomingStats(out, stats)
      }),
    )

  incoming
    .command('logs')
    .description('requests an incoming hook received, newest first')
    .argument('<id>', 'hook id')
    .option('--limit <n>', 'page size', '50')
    .option('--offset <n>', 'rows to skip', '0')
    .action(async (id: string, o: { limit: string; offset: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const query = { limit: parseInteger(o.limit, '--limit', 1, 500), offset: parseInteger(o.offset, '--offset') }
        const page = await paginate(query, (limit, offset) => manager.listIncomingLogs(id, { limit, offset }))
        const logs = page.items.map(toIncomingLogOutput)
        if (out.json) return out.printJson({ logs, has_more: page.has_more, next_offset: page.next_offset })
        if (logs.length === 0) return out.line(out.style('dim', 'No requests received yet.'))
        out.table(
          ['RECEIVED', 'STATUS', 'SOURCE', 'DURATION', 'ERROR', 'PAYLOAD'],
          logs.map((l) => [
            shortDate(l.received_at),
            l.status < 300 ? out.style('green', String(l.status)) : out.style('red', String(l.status)),
            l.source_ip,
            `${Math.round(l.duration_ms)} ms`,
            l.error === null ? null : truncate(l.error, 40),
            l.payload === null ? null : truncate(l.payload, 50),
          ]),
        )
      }),
    )
}

function printIncomingStats(out: Output, s: IncomingStatsOutput): void {
  out.details([
    ['Hook', s.hook_id],
    ['Since', s.since === null ? 'the beginning' : shortDate(s.since)],
    ['Requests', s.total],
    ['Succeeded (2xx)', out.style('green', String(s.succeeded))],
    ['Failed', s.failed > 0 ? out.style('red', String(s.failed)) : s.failed],
    ['Success rate', percent(s.success_rate)],
    ['Average duration', ms(s.average_duration_ms)],
    ['p95 duration', ms(s.p95_duration_ms)],
    ['By status', Object.entries(s.by_status).map(([status, n]) => `${status}: ${n}`).join(', ') || null],
    ['Last request', shortDate(s.last_received_at)],
  ])
}

function printHook(out: Output, h: IncomingHookOutput): void {
  out.details([
    ['ID', h.id],
    ['Name', h.name],
    ['Route', h.route],
    ['Token', h.token === undefined ? `${h.token_prefix}…` : out.style('yellow', h.token)],
    ['Active', h.active ? 'yes' : 'no'],
    ['Verification', h.verification?.type ?? 'none'],
    ['Transform', h.transform === null ? null : truncate(typeof h.transform === 'string' ? h.transform : JSON.stringify(h.transform), 80)],
    ['Rate limit', h.rate_limit_per_minute === null ? 'none' : `${h.rate_limit_per_minute}/min`],
    ['Allowed IPs', h.allowed_ips.length === 0 ? 'any' : h.allowed_ips.join(', ')],
    ['Owner', h.owner],
    ['Created', shortDate(h.created_at)],
  ])
}
