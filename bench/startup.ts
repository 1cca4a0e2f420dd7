// Benchmark 7 — start-up: how long `import('hookline')` and `import('hookline/verify')` take, and how
// long `hookline --version` runs, from the built package (tsup, as published, into a temporary
// directory under .tmp/ so that it resolves the repository's node_modules; BENCH_STARTUP_DIST=<dir>
// measures an existing build instead, e.g. BENCH_STARTUP_DIST=dist after `npm run build`). Each figure is a fresh
// Node process, rounds interleaved, median; the baseline is a bare `node -e 0` measured alongside.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from './lib/child.js'
import { envInt } from './lib/env.js'
import { record, section } from './lib/report.js'
import { fmt, median } from './lib/stats.js'

/** One way of starting Node; `script` prints the in-process import time in ms, when it has one. */
interface Case {
  name: string
  args: string[]
  /** Wall time of each process, ms. */
  wallMs: number[]
  /** Import time measured inside the process, ms. */
  importMs: number[]
}

/** Node arguments that import `file` and print how long the import took. */
function importing(file: string): string[] {
  const url = pathToFileURL(file).href
  return ['--input-type=module', '-e', `const t = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t)`]
}

function runOnce(c: Case): void {
  const t0 = performance.now()
  const result = spawnSync(process.execPath, c.args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
  const wall = performance.now() - t0
  if (result.status !== 0) throw new Error(`${c.name}: exit ${result.status}\n${result.stderr}`)
  c.wallMs.push(wall)
  const printed = Number(result.stdout.trim())
  if (c.args[0] === '--input-type=module' && Number.isFinite(printed)) c.importMs.push(printed)
}

/** Runs benchmark 7 and records its results. */
export async function runStartup(): Promise<void> {
  const rounds = envInt('BENCH_STARTUP_ROUNDS', 15)
  let dist = process.env.BENCH_STARTUP_DIST === undefined || process.env.BENCH_STARTUP_DIST === '' ? undefined : resolve(ROOT, process.env.BENCH_STARTUP_DIST)
  let built: string | undefined
  if (dist === undefined) {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true })
    built = mkdtempSync(join(ROOT, '.tmp', 'bench-startup-'))
    dist = join(built, 'dist')
    const t = performance.now()
    execFileSync(join(ROOT, 'node_modules/.bin/tsup'), ['--out-dir', dist, '--silent'], { cwd: ROOT, stdio: 'pipe' })
    console.log(`  (built with tsup into ${dist} in ${fmt((performance.now() - t) / 1000)} s)`)
  }
  section(`start-up from the built package (${rounds} fresh processes each, interleaved, median)`)
  try {
    const cases: Case[] = [
      { name: 'bare node -e 0', args: ['-e', '0'], wallMs: [], importMs: [] },
      { name: "import('hookline/verify')", args: importing(join(dist, 'verify.js')), wallMs: [], importMs: [] },
      { name: "import('hookline')", args: importing(join(dist, 'index.js')), wallMs: [], importMs: [] },
      { name: 'hookline --version', args: [join(dist, 'cli.js'), '--version'], wallMs: [], importMs: [] },
    ]
    for (const c of cases) runOnce(c) // warm the file system cache; not counted
    for (const c of cases) c.wallMs.length = c.importMs.length = 0
    for (let round = 0; round < rounds; round++) for (const c of cases) runOnce(c)

    const bare = median(cases[0]!.wallMs)
    record({ section: 'startup', name: 'bare node start', value: bare, unit: 'ms (process wall time)' })
    const [, verify, main, cli] = cases as [Case, Case, Case, Case]
    record({ section: 'startup', name: "import('hookline/verify')", value: median(verify.importMs), unit: 'ms', target: { op: '<=', value: 50 }, note: `process ${fmt(median(verify.wallMs))} ms` })
    record({ section: 'startup', name: "import('hookline')", value: median(main.importMs), unit: 'ms', note: `process ${fmt(median(main.wallMs))} ms` })
    record({
      section: 'startup',
      name: 'hookline --version',
      value: median(cli.wallMs),
      unit: 'ms (process wall time)',
      target: { op: '<=', value: 300 },
      note: `${fmt(median(cli.wallMs) - bare)} ms over a bare node start`,
    })
  } finally {
    if (built !== undefined) rmSync(built, { recursive: true, force: true })
  }
}
