import { readdirSync, readFileSync } from 'node:fs'

/**
 * Where the machine's CPU went during a timed window (Linux /proc; elsewhere nothing is reported):
 * named processes, every `postgres` process together, and the whole machine, as % of one core.
 * Processes that end during the window are not counted (their last ticks cannot be read).
 */
export interface CpuReport {
  /** % of one core per named group. */
  groups: Record<string, number>
  /** Busy % of the whole machine, of one core (200 = both cores of a 2-core machine). */
  machine: number
  cores: number
}

const TICK_MS = 10 // USER_HZ is 100 on Linux

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12]) // utime, stime (fields 14 and 15)
  } catch {
    return 0
  }
}

/** Ticks of every process named `command`, by pid. */
function commandTicks(command: string): Map<number, number> {
  const out = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      if (comm !== command) continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(Number(entry), Number(fields[11]) + Number(fields[12]))
    } catch {
      // the process ended meanwhile
    }
  }
  return out
}

/** Ticks spent between two readings by the processes alive at the second (new ones count from 0). */
function delta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0
  for (const [pid, ticks] of after) total += Math.max(0, ticks - (before.get(pid) ?? 0))
  return total
}

function machineTicks(): { busy: number; total: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n')
  const values = lines[0]!.trim().split(/\s+/).slice(1).map(Number)
  const idle = (values[3] ?? 0) + (values[4] ?? 0)
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0)
  const cores = lines.filter((l) => /^cpu\d+ /.test(l)).length
  return { busy: total - idle, total, cores }
}

const available = (() => {
  try {
    readFileSync('/proc/stat')
    return true
  } catch {
    return false
  }
})()

/** Starts measuring; `groups` maps a label to process ids, or to `{ command }` for all processes of that name. */
export function startCpuMeter(groups: Record<string, number[] | { command: string }>): { stop(): CpuReport | null } {
  if (!available) return { stop: () => null }
  const read = (): Record<string, Map<number, number>> => {
    const out: Record<string, Map<number, number>> = {}
    for (const [label, what] of Object.entries(groups)) {
      out[label] = Array.isArray(what) ? new Map(what.map((pid) => [pid, processTicks(pid)])) : commandTicks(what.command)
    }
    return out
  }
  const before = read()
  const machineBefore = machineTicks()
  const t0 = performance.now()
  return {
    stop() {
      const after = read()
      const machineAfter = machineTicks()
      const ms = performance.now() - t0
      const groupsPct: Record<string, number> = {}
      for (const label of Object.keys(groups)) groupsPct[label] = (delta(before[label]!, after[label]!) * TICK_MS * 100) / ms
      const busy = machineAfter.busy - machineBefore.busy
      const total = machineAfter.total - machineBefore.total
      return { groups: groupsPct, machine: total > 0 ? (busy / total) * 100 * machineAfter.cores : 0, cores: machineAfter.cores }
    },
  }
}

/** `parent 95 %, receiver 40 %, postgres 60 %; machine 190 % of 200 %` */
export function formatCpu(report: CpuReport | null): string {
  if (!report) return ''
  const parts = Object.entries(report.groups).map(([label, pct]) => `${label} ${Math.round(pct)} %`)
  return `CPU ${parts.join(', ')}; machine ${Math.round(report.machine)} % of ${report.cores * 100} %`
}
