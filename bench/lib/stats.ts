/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Spread of a list as (max - min) / median, e.g. 0.04 for ±2 %. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0
  return (Math.max(...values) - Math.min(...values)) / median(values)
}

/** `12 345`, `1 234.5`, `0.123`: readable numbers for the console. */
export function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return String(value)
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2)
  const [int, frac] = value.toFixed(d).split('.')
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
  return frac === undefined ? grouped : `${grouped}.${frac}`
}

/** Ratio formatted as `0.87×`. */
export function fmtRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`
}

/** Runs `fn` and returns its wall time in ms. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/** Lets pending I/O and timers run, and gives the GC a moment between measured runs. */
export async function settle(ms = 50): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
  ;(globalThis as { gc?: () => void }).gc?.()
}
