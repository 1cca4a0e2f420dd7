/** A positive integer from the environment, or `fallback`. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw.replace(/_/g, ''))
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  return value
}

/** Sections to run: `BENCH_ONLY=delivery,verify` → those; unset → all. */
export function selectedSections(all: readonly string[]): string[] {
  const raw = process.env.BENCH_ONLY
  if (!raw) return [...all]
  const wanted = raw.split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = wanted.filter((s) => !all.includes(s))
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown section(s) ${unknown.join(', ')} (known: ${all.join(', ')})`)
  return all.filter((s) => wanted.includes(s))
}
