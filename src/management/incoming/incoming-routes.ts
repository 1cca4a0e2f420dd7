import { paginate } from '../paginate.js'
import type { WebhookManager } from '../../manager/webhook-manager.js'
import { defineRoute, type RequestScope, type Route, type RouteResult } from '../route.js'
import { ownerForWrite, ownerScope } from '../scope.js'
import { deletedOutput } from '../webhooks/webhook-schemas.js'
import {
  createIncomingBody,
  incomingAliases,
  incomingHookOutput,
  incomingListOutput,
  incomingLogListOutput,
  incomingStatsOutput,
  incomingStatsQuery,
  listIncomingLogsQuery,
  listIncomingQuery,
  patchIncomingBody,
} from './incoming-schemas.js'
import type { CreateIncomingHookInput } from '../../incoming/incoming-schema.js'
import { toIncomingHookOutput, toIncomingInput, toIncomingLogOutput, toIncomingReplaceInput, toIncomingStatsOutput } from './incoming-wire.js'

/** PATCH and PUT: the update, with the owner a scoped caller may write. */
async function updateHook(
  manager: WebhookManager,
  id: string,
  input: Partial<CreateIncomingHookInput>,
  owner: string | null | undefined,
  scope: RequestScope,
): Promise<RouteResult> {
  if (owner !== undefined) input.owner = ownerForWrite(scope, owner)
  return { status: 200, body: toIncomingHookOutput(await manager.updateIncomingHook(id, input, ownerScope(scope))) }
}

const idParam = { id: 'Incoming hook id (`ih_…`).' }

/** Routes of `/incoming`. */
export const incomingRoutes: Route[] = [
  defineRoute({
    operationId: 'listIncomingHooks',
    method: 'GET',
    path: '/incoming',
    tag: 'Incoming hooks',
    summary: 'List incoming hooks',
    description: 'Oldest first. Tokens are never listed, only their first characters.',
    query: listIncomingQuery,
    response: { status: 200, description: 'A page of incoming hooks.', schema: incomingListOutput },
    async handle({ manager, query, scope }) {
      const page = await paginate(query, (limit, offset) => manager.listIncomingHooks({ owner: scope.owner, limit, offset }))
      return { status: 200, body: { incoming_hooks: page.items.map(toIncomingHookOutput), has_more: page.has_more, next_offset: page.next_offset } }
    },
  }),
  defineRoute({
    operationId: 'createIncomingHook',
    method: 'POST',
    path: '/incoming',
    tag: 'Incoming hooks',
    summary: 'Create an incoming hook',
    description: 'The answer carries the hook’s secret `token` — the only time it is shown.',
    body: createIncomingBody,
    aliases: incomingAliases,
    bodyRequired: true,
    response: { status: 201, description: 'The new hook, with its `token`.', schema: incomingHookOutput },
    errors: [413, 415],
    async handle({ manager, body, scope, prefix }) {
      const input = toIncomingInput(body!)
      const owner = ownerForWrite(scope, body!.owner)
      if (owner !== undefined) input.owner = owner
      const hook = toIncomingHookOutput(await manager.createIncomingHook(input as CreateIncomingHookInput))
      return { status: 201, body: hook, headers: { location: `${prefix}/incoming/${encodeURIComponent(hook.id)}` } }
    },
  }),
  defineRoute({
    operationId: 'getIncomingHook',
    method: 'GET',
    path: '/incoming/:id',
    tag: 'Incoming hooks',
    summary: 'Get an incoming hook',
    params: idParam,
    response: { status: 200, description: 'The hook.', schema: incomingHookOutput },
    errors: [404],
    async handle({ manager, params, scope }) {
      return { status: 200, body: toIncomingHookOutput(await manager.getIncomingHook(params.id, ownerScope(scope))) }
    },
  }),
  defineRoute({
    operationId: 'updateIncomingHook',
    method: 'PATCH',
    path: '/incoming/:id',
    tag: 'Incoming hooks',
    summary: 'Update an incoming hook (partial)',
    params: idParam,
    body: patchIncomingBody,
    aliases: incomingAliases,
    bodyRequired: true,
    response: { status: 200, description: 'The updated hook.', schema: incomingHookOutput },
    errors: [404, 413, 415],
    handle: ({ manager, params, body, scope }) => updateHook(manager, params.id, toIncomingInput(body!), body!.owner, scope),
  }),
  defineRoute({
    operationId: 'replaceIncomingHook',
    method: 'PUT',
    path: '/incoming/:id',
    tag: 'Incoming hooks',
    summary: 'Replace an incoming hook',
    description:
      'With both `name` and `route` (`agent_id`) it is the whole definition: fields left out go back to their defaults. ' +
      'Without them (seed 002’s `{"name": …, "is_active": false}`) it is a **merge**, exactly like PATCH, so the template, limits and verification are kept. ' +
      'The token is unchanged.',
    params: idParam,
    body: patchIncomingBody,
    aliases: incomingAliases,
    bodyRequired: true,
    response: { status: 200, description: 'The hook as replaced.', schema: incomingHookOutput },
    errors: [404, 413, 415],
    handle: ({ manager, params, body, scope }) => {
      const full = body!.name !== undefined && body!.route !== undefined
      return updateHook(manager, params.id, full ? toIncomingReplaceInput(body!) : toIncomingInput(body!), body!.owner, scope)
    },
  }),
  defineRoute({
    operationId: 'deleteIncomingHook',
    method: 'DELETE',
    path: '/incoming/:id',
    tag: 'Incoming hooks',
    summary: 'Delete an incoming hook and its logs',
    params: idParam,
    response: { status: 200, description: 'Deleted.', schema: deletedOutput },
    errors: [404],
    async handle({ manager, params, scope }) {
      await manager.deleteIncomingHook(params.id, ownerScope(scope))
      return { status: 200, body: { id: params.id, deleted: true } }
    },
  }),
  defineRoute({
    operationId: 'rotateIncomingToken',
    method: 'POST',
    path: '/incoming/:id/rotate-token',
    tag: 'Incoming hooks',
    summary: 'Issue a new token for an incoming hook',
    description: 'The old URL stops working at once. The answer carries the new `token` and `path` — the only time they are shown.',
    params: idParam,
    response: { status: 200, description: 'The hook with its new `token`.', schema: incomingHookOutput },
    errors: [404],
    async handle({ manager, params, scope }) {
      return { status: 200, body: toIncomingHookOutput(await manager.rotateIncomingToken(params.id, ownerScope(scope))) }
    },
  }),
  defineRoute({
    operationId: 'listIncomingLogs',
    method: 'GET',
    path: '/incoming/:id/logs',
    tag: 'Incoming hooks',
    summary: 'List the requests an incoming hook received',
    description: 'Newest first, with credentials and signatures redacted.',
    params: idParam,
    query: listIncomingLogsQuery,
    response: { status: 200, description: 'A page of request logs.', schema: incomingLogListOutput },
    errors: [404],
    async handle({ manager, params, query, scope }) {
      const page = await paginate(query, (limit, offset) => manager.listIncomingLogs(params.id, { ...ownerScope(scope), limit, offset }))
      return { status: 200, body: { logs: page.items.map(toIncomingLogOutput), has_more: page.has_more, next_offset: page.next_offset } }
    },
  }),
  defineRoute({
    operationId: 'getIncomingStats',
    method: 'GET',
    path: '/incoming/:id/stats',
    tag: 'Incoming hooks',
    summary: 'Statistics of the requests an incoming hook received',
    description: 'From the hook’s log: totals, 2xx vs the rest, success rate, mean and p95 handling time, counts per status. `since` limits it to recent requests.',
    params: idParam,
    query: incomingStatsQuery,
    response: { status: 200, description: 'The statistics.', schema: incomingStatsOutput },
    errors: [404],
    async handle({ manager, params, query, scope }) {
      const stats = await manager.getIncomingStats(params.id, { ...ownerScope(scope), since: query.since })
      return { status: 200, body: toIncomingStatsOutput(params.id, query.since, stats) }
    },
  }),
]
