// Offset pagination of list routes and CLI lists.

/** Page size when `limit` is not given. */
export const DEFAULT_PAGE_SIZE = 50

/**
 * Fetches one row more than the page to tell whether another page follows, and returns the page
 * with its pagination fields.
 */
export async function paginate<T>(
  query: { limit?: number; offset?: number },
  fetch: (limit: number, offset: number) => Promise<T[]>,
): Promise<{ items: T[]; has_more: boolean; next_offset: number | null }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  const offset = query.offset ?? 0
  const rows = await fetch(limit + 1, offset)
  const hasMore = rows.length > limit
  return { items: rows.slice(0, limit), has_more: hasMore, next_offset: hasMore ? offset + limit : null }
}
