// A/B of the CLI's CPU per command: runs `hookline <command>` from two built packages (each a
// directory holding dist/cli.js, e.g. the repository after `npm run build` and a copy of an older
// build), rounds interleaved, and prints each command's CPU ms per process (user + system, the
// whole process from exec to exit, as getrusage reports it at its 'exit' event) and the medians;
// also `import('hookline')` (a process that imports dist/index.js and exits).
// CPU time, unlike wall time, hardly moves with the machine's load.
//   npx tsx bench/tools/cli-cpu.ts <distA> [distB or -] [rounds=9]
// The commands run against a SQLite file of five endpoints made in a temporary directory.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { median } from '../lib/stats.js'

const [distA = 'dist', distB, roundsArg] = process.argv.slice(2)
const rounds = Number(roundsArg ?? 9)
const dists = distB === undefined || distB === '' || distB === '-' ? [resolve(distA)] : [resolve(distA), resolve(distB)]

/** Reports the process's CPU µs on stderr as it exits. */
const REPORT = 'data:text/javascript,process.on("exit",()=>{const u=process.cpuUsage();process.stderr.write("\\nHOOKLINE_CPU "+(u.user+u.system)+"\\n")})'

const dir = mkdtempSync(join(tmpdir(), 'hookline-cli-cpu-'))
const db = join(dir, 'hooks.db')

/** Runs one CLI command from `dist` (or, for `['import']`, imports its index.js); returns its CPU µs. */
function run(dist: string, args: string[]): number {
  const argv = args[0] === 'import' ? ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(dist, 'index.js')).href)})`] : [join(dist, 'cli.js'), ...args]
  const result = spawnSync(process.execPath, ['--import', REPORT, ...argv], { encoding: 'utf8', timeout: 60_000 })
  if (result.status !== 0) throw new Error(`${dist} ${args.join(' ')}: exit ${result.status}\n${result.stderr}`)
  const match = /HOOKLINE_CPU (\d+)/.exec(result.stderr)
  if (!match) throw new Error(`${dist} ${args.join(' ')}: no CPU report\n${result.stderr}`)
  return Number(match[1])
}

try {
  for (let i = 1; i <= 5; i++) run(dists[0]!, ['--db', db, 'endpoints', 'create', '--url', `https://example.com/h${i}`, '--events', 'agent.*'])
  const commands: Record<string, string[]> = {
    "import('hookline')": ['import'],
    '--version': ['--version'],
    '--help': ['--help'],
    'endpoints list': ['--db', db, 'endpoints', 'list'],
    'endpoints list --json': ['--db', db, '--json', 'endpoints', 'list'],
    'stats': ['--db', db, 'stats'],
    'migrate': ['--db', db, 'migrate'],
  }
  const results = new Map<string, number[]>()
  for (const dist of dists) for (const args of Object.values(commands)) run(dist, args) // warm the file system cache
  for (let r = 0; r < rounds; r++) {
    for (const dist of r % 2 === 0 ? dists : [...dists].reverse()) {
      for (const [name, args] of Object.entries(commands)) {
        const key = `${name}\t${dist}`
        if (!results.has(key)) results.set(key, [])
        results.get(key)!.push(run(dist, args))
      }
    }
  }
  console.log(`CPU ms per process, median of ${rounds} (user + system)`)
  for (const name of Object.keys(commands)) {
    const line = dists.map((dist) => (median(results.get(`${name}\t${dist}`)!) / 1000).toFixed(1).padStart(7))
    const ratio = dists.length === 2 ? `  B/A ${(median(results.get(`${name}\t${dists[1]}`)!) / median(results.get(`${name}\t${dists[0]}`)!)).toFixed(2)}` : ''
    console.log(`${name.padEnd(24)}${line.join('')}${ratio}`)
  }
  console.log(dists.map((d, i) => `${'AB'[i]}: ${d}`).join('\n'))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
