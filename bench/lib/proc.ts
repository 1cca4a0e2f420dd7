import { readdirSync, readFileSync } from 'node:fs'

/** CPU µs (user + system) the processes `pids` have used so far (Linux /proc; a gone process counts 0). */
export function cpuUsOf(pids: number[]): number {
  let total = 0
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      total += Number(f[11]) + Number(f[12])
    } catch {
      // gone
    }
  }
  return total * 10_000 // USER_HZ = 100
}

/** Pids of the processes named `command` (e.g. `redis-server`). */
export function pidsOf(command: string): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === command) out.push(Number(entry))
    } catch {
      // ended
    }
  }
  return out
}
