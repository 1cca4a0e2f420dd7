import * as v from 'valibot'
import { ValidationError, type FieldIssue } from '../errors.js'

const DEFAULT_MESSAGE = /^Invalid (\w+): Expected (.+) but received (.+)$/

/**
 * An issue's message in plain words: valibot's default ones (`Invalid type: Expected string but
 * received 5`) become `expected a string, got 5`, `expected at most 300000, got 3600000`, an
 * unknown key `is not a known field` and a missing one `is required`; messages a schema set
 * itself are kept.
 */
export function plainIssueMessage(issue: v.BaseIssue<unknown>): string {
  // An object schema's unknown key (strict objects) or missing required one.
  if (issue.kind === 'schema' && issue.expected === 'never' && issue.type.includes('object')) return 'is not a known field'
  if (issue.kind === 'schema' && issue.input === undefined && v.getDotPath(issue) !== null) return 'is required'
  const match = DEFAULT_MESSAGE.exec(issue.message)
  if (match === null) return issue.message
  const [, , expected, received] = match as unknown as [string, string, string, string]
  const bound = /^(<=|>=|<|>|!=)(.+)$/.exec(expected)
  const words: Record<string, string> = { '<=': 'at most', '>=': 'at least', '<': 'less than', '>': 'more than', '!=': 'not' }
  let wanted: string
  if (bound !== null) wanted = `${issue.type.endsWith('length') || issue.type.endsWith('size') ? 'a length of ' : ''}${words[bound[1]!]} ${bound[2]}`
  else if (issue.type === 'picklist' || issue.type === 'literal' || issue.type === 'enum') wanted = `one of ${expected.replace(/^\((.*)\)$/, '$1').split(' | ').join(', ')}`
  else wanted = /^[a-z]/.test(expected) ? `a${/^[aeiou]/.test(expected) ? 'n' : ''} ${expected}` : expected === 'Array' ? 'an array' : expected === 'Object' ? 'an object' : expected
  return `expected ${wanted}, got ${received}`
}

/** Turns valibot issues into hookline field issues (`retryPolicy.maxAttempts: …`). */
export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ''): FieldIssue[] {
  return issues.map((issue) => {
    const path = v.getDotPath(issue)
    const field = prefix && path ? `${prefix}.${path}` : prefix || path || ''
    return { field, message: plainIssueMessage(issue) }
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
