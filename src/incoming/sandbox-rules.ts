/**
 * The rules of the transform sandbox, shared by the template check (main thread) and the render
 * worker, so both enforce the same thing.
 */

/**
 * Names a template may not look up, as a variable or as a member: each leads from a value to its
 * constructor or prototype, and from there to `Function` (`range.constructor.constructor("return
 * process")()`), or redefines accessors. Member access on functions is refused altogether at run time.
 */
export const BLOCKED_NAMES: readonly string[] = Object.freeze([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
])

/**
 * What every name token of a template (variable, attribute, filter, test, `set` / `for` / macro
 * target) must look like. nunjucks' lexer ends a name only at white space and a few delimiters, so
 * `a"b` or ``a`b`` would be one name, and its compiler pastes names into the JavaScript it
 * generates unescaped: a name that is not a plain identifier could inject code.
 */
export const SAFE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$'

/**
 * Returns the first problem with a template's tokens, or `null`: a name that is not a plain
 * identifier, or a regular-expression literal (`r/…/`, compiled into the generated code as its
 * source text). `lex` is nunjucks' `lexer.lex`.
 */
export function checkTemplateTokens(
  source: string,
  lexer: { lex(source: string, options: object): { nextToken(): { type: string; value: unknown; lineno: number; colno: number } | null } },
): string | null {
  const safe = new RegExp(SAFE_NAME_PATTERN)
  const tokens = lexer.lex(source, {})
  // One token per character at most, so the loop is bounded by the template's length.
  for (let i = 0; i <= source.length; i++) {
    const token = tokens.nextToken()
    if (token === null) return null
    const where = `line ${token.lineno + 1}, column ${token.colno + 1}: `
    if (token.type === 'symbol' && !safe.test(String(token.value))) {
      return `${where}\`${String(token.value).slice(0, 40)}\` is not a valid name (letters, digits and _ only)`
    }
    if (token.type === 'regex') return `${where}regular-expression literals are not available in incoming templates`
  }
  return null
}

/** Tags that would load other templates (there is no loader, hence no file system) or run extensions. */
export const FORBIDDEN_TAGS: Readonly<Record<string, string>> = Object.freeze({
  Include: 'include',
  Extends: 'extends',
  Import: 'import',
  FromImport: 'from … import',
  CallExtension: 'extension tags',
  CallExtensionAsync: 'extension tags',
  FilterAsync: 'async filters',
})

/** Filters added to nunjucks' built-in ones. */
export const EXTRA_FILTERS: readonly string[] = Object.freeze(['tojson'])

/** Items `range()` may produce: nunjucks builds the whole array up front. */
export const MAX_RANGE_ITEMS = 10_000

/** Characters of one template string. */
export const MAX_TEMPLATE_CHARS = 65_536

/** Characters of all template strings of one hook together. */
export const MAX_TRANSFORM_CHARS = 262_144

/** String leaves of an object template. */
export const MAX_TEMPLATE_LEAVES = 1000

/** Nesting depth of an object template. */
export const MAX_TEMPLATE_DEPTH = 16

/** Options every sandbox environment is created with: no HTML escaping, undefined renders as ''. */
export const ENVIRONMENT_OPTIONS = Object.freeze({
  autoescape: false,
  throwOnUndefined: false,
  trimBlocks: false,
  lstripBlocks: false,
})

/** True when a string holds template syntax at all; other strings are copied as they are. */
export function hasTemplateSyntax(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#')
}

/**
 * Turns a nunjucks error message into one line: `(unknown path) [Line 1, Column 4]\n  Error: x`
 * → `line 1, column 4: x`.
 */
export function cleanTemplateMessage(message: string): string {
  return message
    .replace(/^Template render error: /, '')
    .replace(/\((?:unknown path|transform)\)\s*/g, '')
    .replace(/\[Line (\d+), Column (\d+)\]\s*/g, 'line $1, column $2: ')
    .replace(/\b(?:Template render error|TemplateError|Error):\s*/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 1000)
}
