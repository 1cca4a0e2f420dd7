import pg from 'pg'

/** Count, rows sent or returned, of one kind of statement. */
export interface StatementCount {
  calls: number
  /** Rows returned (claims) or sent (outcome writes, enqueue batches): see {@link kindOf}. */
  rows: number
}

/** Statement counts by kind since the last {@link takeStatementCounts}. */
let counts: Record<string, StatementCount> = {}
let installed = false

/** The kind of a hookline statement, from its text. */
function kindOf(text: string): string {
  if (text.includes('json_to_recordset')) return 'complete'
  if (text.startsWith('WITH due AS')) return 'claim'
  if (text.includes('pg_notify') && text.startsWith('SELECT pg_notify')) return 'notify'
  if (text.startsWith('WITH m AS (INSERT')) return text.includes(') AS mm(') ? 'enqueueMany' : 'enqueue'
  if (text.includes('min(') && text.includes('due_at')) return 'nextDueAt'
  if (text.startsWith('UPDATE') && text.includes("status = 'pending', locked_by = NULL")) return 'release'
  if (text.startsWith('LISTEN')) return 'listen'
  return text.slice(0, 24)
}

/** Rows a statement carries: the json batch of an outcome write, the array of an enqueue batch. */
function rowsSent(kind: string, values: unknown[] | undefined): number {
  if (kind === 'complete' && typeof values?.[0] === 'string') return (values[0].match(/"d":/g) ?? []).length
  if (kind === 'enqueueMany' && Array.isArray(values?.[0])) return values[0].length
  // A binary array (src/store/postgres/binary-array.ts): its one dimension's length, 0 when empty.
  if (kind === 'enqueueMany' && Buffer.isBuffer(values?.[0])) return values[0].readInt32BE(0) === 1 ? values[0].readInt32BE(12) : 0
  return 0
}

/**
 * Counts every statement this process sends through `pg` (any client or pool), by kind, with the
 * rows of claims (returned) and of outcome writes and enqueue batches (sent). For benchmarks only:
 * it wraps `pg.Client.prototype.query`.
 */
export function countStatements(): void {
  if (installed) return
  installed = true
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]): unknown {
    const config = args[0] as { text?: string; values?: unknown[] } | string
    const text = typeof config === 'string' ? config : (config?.text ?? '')
    const kind = kindOf(text)
    const entry = (counts[kind] ??= { calls: 0, rows: 0 })
    entry.calls++
    entry.rows += rowsSent(kind, typeof config === 'string' ? (args[1] as unknown[]) : config?.values)
    const result = original.apply(this, args)
    if (kind === 'claim' && result instanceof Promise) void result.then((r: { rowCount?: number }) => (entry.rows += r?.rowCount ?? 0), () => {})
    return result
  } as typeof pg.Client.prototype.query
}

/** The counts since the last call, and starts over. */
export function takeStatementCounts(): Record<string, StatementCount> {
  const out = counts
  counts = {}
  return out
}
