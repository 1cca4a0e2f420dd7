import * as v from 'valibot'
import { findJsonProblem, MAX_STORED_JSON_DEPTH, unstorableTextReason } from '../util/json-check.js'
import { ValidationError, type FieldIssue } from '../errors.js'
import { isNotSealedLike, SEALED_LIKE_INPUT_MESSAGE } from '../crypto/secret-codec.js'

/** C0 and C1 control characters and DEL: they can rewrite an operator's terminal or break a header. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
/** The same, except tab, line feed and carriage return (allowed in free text such as a description). */
const CONTROL_IN_PROSE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/

/** True when `text` has no control character and is well-formed Unicode. */
export function isPlainText(text: string): boolean {
  return !CONTROL.test(text) && unstorableTextReason(text) === null
}

/** True when `text` has no control character but tab and line breaks, and is well-formed Unicode. */
export function isProse(text: string): boolean {
  return !CONTROL_IN_PROSE.test(text) && unstorableTextReason(text) === null
}

/** Message of {@link noControlCharacters}. */
export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters or invalid Unicode'

/** A valibot check refusing control characters and lone surrogates (names, URLs, routes, owners, secrets). */
export const noControlCharacters = <T extends string>() => v.check<T, string>((s) => isPlainText(s), CONTROL_CHARACTER_MESSAGE)

/**
 * A valibot check for every secret field: refuses plain text that begins like an encrypted value
 * (`enc:v2:…`), which the stores would read back as ciphertext.
 */
export const notSealedLike = <T extends string>() => v.check<T, string>(isNotSealedLike, SEALED_LIKE_INPUT_MESSAGE)

/** A valibot check for free text: tab and line breaks allowed, other control characters and lone surrogates refused. */
export const proseText = <T extends string>() =>
  v.check<T, string>((s) => isProse(s), 'must not contain control characters (other than tab and line breaks) or invalid Unicode')

/**
 * Throws a {@link ValidationError} naming the field when one of `fields` cannot be stored as JSON
 * the same way by every store: a BigInt, a cycle, nesting deeper than {@link MAX_STORED_JSON_DEPTH},
 * or a NUL / lone surrogate in a key or string. `undefined` and `null` fields are skipped.
 */
export function assertStorableJson(what: string, fields: Record<string, unknown>): void {
  const issues: FieldIssue[] = []
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue
    const problem = findJsonProblem(value, name, { maxDepth: MAX_STORED_JSON_DEPTH, storableText: true })
    if (problem !== null) issues.push({ field: problem.path, message: problem.message })
  }
  if (issues.length > 0) throw new ValidationError(what, issues)
}
