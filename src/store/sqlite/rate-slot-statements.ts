/** Statements of the SQLite shared rate-limit slots (named parameters; times in ms). */
export const sqliteRateSlotStatements = {
  // The first free slots in key order: the primary key walk stops once it has them, no sort of the endpoint's slots.
  pick: 'SELECT slot FROM rate_slots WHERE endpoint_id = @endpoint AND slot < @max AND free_at <= @now ORDER BY slot LIMIT @count',
  hold: 'UPDATE rate_slots SET free_at = @hold_until, held_by = @worker WHERE endpoint_id = @endpoint AND slot = @slot',
  total: 'SELECT count(*) AS slots FROM rate_slots WHERE endpoint_id = @endpoint AND slot < @max',
  // The earliest time a slot given back comes free; held slots' free_at is the end of their hold, not when they come back.
  nextFree: 'SELECT min(free_at) AS retry_at FROM rate_slots WHERE endpoint_id = @endpoint AND slot < @max AND held_by IS NULL AND free_at > @now',
  // Slots 0 … max − 1, free at once; a recursive CTE stands in for generate_series.
  ensure:
    'WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n + 1 < @max) ' +
    'INSERT INTO rate_slots (endpoint_id, slot, free_at) SELECT @endpoint, n, 0 FROM g WHERE true ON CONFLICT DO NOTHING',
  release: 'UPDATE rate_slots SET free_at = @free_at, held_by = NULL WHERE endpoint_id = @endpoint AND slot = @slot AND held_by = @worker',
} as const
