import * as v from 'valibot'
import { ValidationError, type FieldIssue } from '../errors.js'

/** Turns valibot issues into hookline field issues (`retryPolicy.maxAttempts: …`). */
export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ''): FieldIssue[] {
  return issues.map((issue) => {
    const path = v.getDotPath(issue)
    const field = prefix && path ? `${prefix}.${path}` : prefix || path || ''
    return { field, message: issue.message }
  })
}

/**
 * Validates `input` against a valibot schema and returns the typed output, or throws a
 * {@link ValidationError} naming every bad field.
 */
export function parseInput<S extends v.GenericSchema>(schema: S, input: unknown, what: string, prefix = ''): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: false })
  if (result.success) return result.output
  throw new ValidationError(what, toFieldIssues(result.issues, prefix))
}
