import * as v from 'valibot'

// Schemas shared by the routes of the management API. Wire names are snake_case everywhere.

/** An ISO 8601 timestamp with time zone in a request, parsed into a Date. */
export function dateTimeInput(description: string) {
  return v.pipe(
    v.string('must be an ISO 8601 date-time'),
    v.description(description),
    v.isoTimestamp('must be an ISO 8601 date-time with time zone, e.g. 2024-01-15T10:30:00Z'),
    v.transform((s) => new Date(s)),
  )
}

/** An ISO 8601 timestamp in a response. */
export const dateTimeOutput = v.pipe(v.string(), v.isoTimestamp())

/** A nullable ISO 8601 timestamp in a response. */
export const nullableDateTime = v.nullable(dateTimeOutput)

/** Largest `offset` of a list route (a store counts rows to skip in 64-bit integers at most). */
export const MAX_OFFSET = 1_000_000_000

/** Page size and offset of list routes. */
export const pageQueryEntries = {
  limit: v.optional(
    v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be at least 1'), v.maxValue(500, 'must be at most 500'), v.description('Page size (1–500). Default 50.')),
  ),
  offset: v.optional(
    v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be 0 or more'), v.maxValue(MAX_OFFSET, `must be at most ${MAX_OFFSET}`), v.description('Rows to skip. Default 0.')),
  ),
}

/** Pagination fields of a list answer. */
export const pageOutputEntries = {
  /** True when another page follows. */
  has_more: v.pipe(v.boolean(), v.description('True when another page follows.')),
  /** Offset of the next page, `null` on the last page. */
  next_offset: v.pipe(v.nullable(v.number()), v.description('`offset` of the next page; null on the last page.')),
}

/** A string-keyed object of anything (metadata, payloads). */
export const freeObject = v.record(v.string(), v.unknown())

/** The body of every error answer. */
export const errorSchema = v.object({
  error: v.object({
    code: v.pipe(v.string(), v.description('Stable machine-readable code, e.g. VALIDATION_ERROR, NOT_FOUND.')),
    message: v.string(),
    fields: v.optional(
      v.pipe(
        v.array(v.object({ field: v.pipe(v.string(), v.description('Dotted path of the field, e.g. retry_policy.max_attempts.')), message: v.string() })),
        v.description('Every invalid field (400 only).'),
      ),
    ),
  }),
})

/** A Date as an ISO string, keeping `null`. */
export function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString()
}
