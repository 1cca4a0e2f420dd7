import { fmt, fmtRatio } from './stats.js'

/** One line of the final summary: a measured figure, optionally against a baseline and a target. */
export interface Result {
  section: string
  name: string
  value: number
  unit: string
  /** Name and value of the baseline measured in the same run. */
  baseline?: { name: string; value: number }
  /** value / baseline (or baseline / value when `lowerIsBetter`). */
  ratio?: number
  /** Target on the ratio (`>= 0.8`, `<= 2`), or on the value itself when there is no baseline (`<= 50` ms). */
  target?: { op: '>=' | '<='; value: number }
  note?: string
}

const results: Result[] = []

/** Adds a result to the summary and prints it at once. */
export function record(result: Result): Result {
  results.push(result)
  let line = `  ${result.name}: ${fmt(result.value)} ${result.unit}`
  if (result.ratio !== undefined && result.baseline) line += ` = ${fmtRatio(result.ratio)} ${result.baseline.name}`
  if (result.target) line += ` (target ${result.target.op} ${result.target.value}${result.ratio === undefined ? ` ${result.unit.split(' ')[0]}` : ''}: ${verdict(result)})`
  if (result.note) line += ` — ${result.note}`
  console.log(line)
  return result
}

/** `ok` / `MISSED` for a result with a target. */
export function verdict(result: Result): string {
  if (!result.target) return ''
  const measured = result.ratio ?? result.value
  const pass = result.target.op === '>=' ? measured >= result.target.value : measured <= result.target.value
  return pass ? 'ok' : 'MISSED'
}

/** Prints a section title. */
export function section(title: string): void {
  console.log(`\n== ${title} ==`)
}

/** Prints a skipped part. */
export function skip(what: string, why: string): void {
  console.log(`  SKIP ${what}: ${why}`)
  results.push({ section: 'skipped', name: what, value: Number.NaN, unit: '', note: why })
}

/** Every result so far. */
export function allResults(): readonly Result[] {
  return results
}

/** The closing table: every figure with a target, and its verdict. */
export function printSummary(): void {
  const rows = results.filter((r) => r.target)
  if (rows.length === 0) return
  console.log('\n== summary (ratios against baselines measured in this run) ==')
  const width = Math.max(...rows.map((r) => r.name.length))
  for (const r of rows) {
    const shown = r.ratio === undefined ? `${fmt(r.value)} ${r.unit.split(' ')[0]}` : fmtRatio(r.ratio)
    console.log(`  ${r.name.padEnd(width)}  ${shown.padStart(7)}  target ${r.target!.op} ${String(r.target!.value).padEnd(4)} ${verdict(r)}`)
  }
  for (const r of results.filter((x) => x.section === 'skipped')) console.log(`  ${r.name.padEnd(width)}  skipped: ${r.note}`)
}
