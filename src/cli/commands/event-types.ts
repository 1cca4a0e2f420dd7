import type { Command } from 'commander'
import { runCommand } from '../context.js'
import { truncate } from '../output.js'

/** The action of `hookline event-types` */
export function registerEventTypesCommand(command: Command): void {
  command.action(async (_o: unknown, cmd: Command) =>
      runCommand(cmd, async ({ manager, out, globals }) => {
        const types = manager.listEventTypes().map((t) => ({
          name: t.name,
          description: t.description,
          has_schema: t.hasSchema,
          ...(t.example === undefined ? {} : { example: t.example }),
        }))
        if (out.json) return out.printJson({ event_types: types })
        if (types.length === 0) {
          const hint = globals.config ?? process.env.HOOKLINE_CONFIG ? '' : ' Event types are registered in code: pass --config <module> (see hookline --help).'
          return out.line(out.style('dim', `No event types registered.${hint}`))
        }
        out.table(
          ['NAME', 'DESCRIPTION', 'SCHEMA', 'EXAMPLE'],
          types.map((t) => [t.name, t.description, t.has_schema ? 'yes' : 'no', t.example === undefined ? null : truncate(JSON.stringify(t.example), 50)]),
        )
      }),
    )
}
