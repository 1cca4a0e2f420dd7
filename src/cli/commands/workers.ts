import type { Command } from 'commander'
import { workerWire } from '../../management/workers/worker-routes.js'
import { runCommand } from '../context.js'
import { shortDate } from '../output.js'

/** The action of `hookline workers` */
export function registerWorkersCommand(command: Command): void {
  command.action(async (_o: unknown, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const workers = (await manager.listWorkers()).map(workerWire)
        if (out.json) return out.printJson({ workers })
        if (workers.length === 0) return out.line(out.style('dim', 'No workers have recorded a heartbeat in this database.'))
        const stateColor = { active: 'green', stopped: 'dim', lost: 'red' } as const
        out.table(
          ['ID', 'STATE', 'HOST', 'PID', 'IN FLIGHT', 'LEASES LEFT', 'STARTED', 'LAST SEEN'],
          workers.map((w) => [
            w.id,
            out.style(stateColor[w.state], w.state),
            w.host,
            w.pid,
            w.in_flight,
            w.leases,
            shortDate(w.started_at),
            shortDate(w.last_seen_at),
          ]),
        )
      }),
    )
}
