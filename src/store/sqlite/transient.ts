/** True for lock contention a retry can cure (`SQLITE_BUSY*`, `SQLITE_LOCKED*`). */
export function isTransientSqliteError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

