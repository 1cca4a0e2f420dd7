import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type { FieldIssue } from '../errors.js'
import {
  BLOCKED_NAMES,
  checkTemplateTokens,
  ENVIRONMENT_OPTIONS,
  EXTRA_FILTERS,
  FORBIDDEN_TAGS,
  MAX_TEMPLATE_CHARS,
  MAX_TEMPLATE_DEPTH,
  MAX_TEMPLATE_LEAVES,
  MAX_TRANSFORM_CHARS,
  cleanTemplateMessage,
  hasTemplateSyntax,
} from './sandbox-rules.js'

/** The slice of a nunjucks AST node the check reads. */
interface TemplateNode {
  typename: string
  lineno: number
  colno: number
  value?: unknown
  findAll(type: unknown): TemplateNode[]
  [field: string]: unknown
}

/** A nunjucks parser instance, as far as the `contains` operator needs it. */
interface ParserLike {
  parseIn(): TemplateNode
  parseAsRoot(): TemplateNode
  peekToken(): { type: string; value: unknown } | null
  nextToken(): unknown
}

/** The slice of the nunjucks module used in the main thread (parse and compile, never render). */
interface NunjucksSlice {
  Environment: new (loaders: unknown[], options: object) => { filters: Record<string, unknown>; tests: Record<string, unknown> }
  parser: { Parser: { new (tokens: unknown): ParserLike; prototype: ParserLike } }
  compiler: { Compiler: new (name: string, throwOnUndefined: boolean) => { compile(ast: unknown): void; getCode(): string } }
  lexer: Parameters<typeof checkTemplateTokens>[1]
  nodes: Record<string, unknown> & { In: new (lineno: number, colno: number, left: unknown, right: unknown) => TemplateNode }
}

let transformer: { transform(ast: unknown, asyncFilters: string[], name: string): unknown } | undefined

/**
 * Parses a template like nunjucks does, plus Jinja-style `x contains y` (= `y in x`), which AGiXT's
 * documented templates use. The render process parses the same way (sandbox-process-source.ts).
 */
function parseTemplate(nj: NunjucksSlice, source: string): TemplateNode {
  const parser = new nj.parser.Parser(nj.lexer.lex(source, { ...ENVIRONMENT_OPTIONS }))
  const parseIn = nj.parser.Parser.prototype.parseIn
  parser.parseIn = function parseInOrContains(this: ParserLike): TemplateNode {
    let node = parseIn.call(this)
    for (let i = 0; i <= source.length; i++) {
      const token = this.peekToken()
      if (token === null || token.type !== 'symbol' || token.value !== 'contains') break
      this.nextToken()
      node = new nj.nodes.In(node.lineno, node.colno, parseIn.call(this), node)
    }
    return node
  }
  return parser.parseAsRoot()
}

/** JavaScript source of a template, compiled from {@link parseTemplate}'s tree (never run here). */
function compileTemplate(nj: NunjucksSlice, ast: TemplateNode): string {
  transformer ??= createRequire(nunjucksEntryPath())('./src/transformer.js') as NonNullable<typeof transformer>
  const compiler = new nj.compiler.Compiler('transform', ENVIRONMENT_OPTIONS.throwOnUndefined)
  compiler.compile(transformer.transform(ast, [], 'transform'))
  return compiler.getCode()
}

const require = createRequire(import.meta.url)
let nunjucks: NunjucksSlice | undefined
let filterNames: Set<string> | undefined
let testNames: Set<string> | undefined

/** Loads nunjucks on first use, so hosts without incoming transforms never pay for it. */
function load(): NunjucksSlice {
  if (nunjucks === undefined) {
    nunjucks = require('nunjucks') as NunjucksSlice
    const env = new nunjucks.Environment([], { ...ENVIRONMENT_OPTIONS })
    filterNames = new Set([...Object.keys(env.filters), ...EXTRA_FILTERS])
    testNames = new Set(Object.keys(env.tests))
  }
  return nunjucks
}

/** Absolute path of the nunjucks entry, for the render worker to `require`. */
export function nunjucksEntryPath(): string {
  return require.resolve('nunjucks')
}

/**
 * Folders the render process reads code from: nunjucks' package and those of the two packages it
 * loads at run time (resolved from nunjucks itself, so any install layout works).
 */
export function nunjucksCodeFolders(): string[] {
  const entry = nunjucksEntryPath()
  const fromNunjucks = createRequire(entry)
  const folders = new Set([dirname(entry)])
  for (const dependency of ['asap', 'a-sync-waterfall']) {
    try {
      folders.add(dirname(fromNunjucks.resolve(`${dependency}/package.json`)))
    } catch {
      // Not resolvable this way (an exports map): the process then fails to start and says so.
    }
  }
  return [...folders]
}

const BLOCKED = new Set(BLOCKED_NAMES)

function at(node: TemplateNode): string {
  return `line ${node.lineno + 1}, column ${node.colno + 1}: `
}

function nameOf(node: unknown): string | undefined {
  const n = node as TemplateNode | undefined
  if (n && (n.typename === 'Symbol' || n.typename === 'Literal') && typeof n.value === 'string') return n.value
  return undefined
}

/**
 * Checks one template string: every name must be a plain identifier (see `SAFE_NAME_PATTERN`),
 * it must parse and compile, use only known filters and tests, load nothing (`include`, `extends`,
 * `import`), and never name a blocked member such as `constructor` or `__proto__` literally. Names built at run time are blocked by the render sandbox.
 *
 * Parsing and compiling produce JavaScript source but never run it, so this is safe on the main
 * thread. Returns the problem, or `null` when the template is fine.
 *
 * @example checkTemplate('{{ priority | default("medium") }}') // null
 */
export function checkTemplate(source: string): string | null {
  if (source.length > MAX_TEMPLATE_CHARS) return `template is longer than ${MAX_TEMPLATE_CHARS} characters`
  const nj = load()
  let ast: TemplateNode
  try {
    const tokenProblem = checkTemplateTokens(source, nj.lexer)
    if (tokenProblem !== null) return tokenProblem
    ast = parseTemplate(nj, source)
  } catch (error) {
    return cleanTemplateMessage(error instanceof Error ? error.message : String(error))
  }
  for (const [type, label] of Object.entries(FORBIDDEN_TAGS)) {
    const found = ast.findAll(nj.nodes[type])[0]
    if (found) return `${at(found)}${label} is not available in incoming templates (they cannot load files or run extensions)`
  }
  for (const symbol of ast.findAll(nj.nodes.Symbol)) {
    if (BLOCKED.has(String(symbol.value))) return `${at(symbol)}\`${String(symbol.value)}\` is not allowed in templates`
  }
  for (const lookup of ast.findAll(nj.nodes.LookupVal)) {
    const name = nameOf(lookup.val)
    if (name !== undefined && BLOCKED.has(name)) return `${at(lookup)}\`${name}\` is not allowed in templates`
  }
  for (const pair of ast.findAll(nj.nodes.Pair)) {
    const name = nameOf(pair.key)
    if (name !== undefined && BLOCKED.has(name)) return `${at(pair)}\`${name}\` is not allowed as a key`
  }
  for (const filter of ast.findAll(nj.nodes.Filter)) {
    const name = nameOf(filter.name)
    if (name === undefined || !filterNames?.has(name)) return `${at(filter)}unknown filter \`${name ?? '?'}\``
  }
  for (const test of ast.findAll(nj.nodes.Is)) {
    const right = test.right as TemplateNode | undefined
    const name = right?.typename === 'FunCall' ? nameOf(right.name) : nameOf(right)
    if (name === undefined || !testNames?.has(name)) return `${at(test)}unknown test \`${name ?? '?'}\``
  }
  try {
    compileTemplate(nj, ast)
  } catch (error) {
    return cleanTemplateMessage(error instanceof Error ? error.message : String(error))
  }
  return null
}

/**
 * Checks a hook's transform: a template string, or an object (or array) whose string leaves are
 * templates and whose other leaves are copied as they are. Returns one issue per bad leaf, named
 * by its path (`transform.context.email`); an empty list means the transform is fine.
 */
export function checkTransform(transform: unknown, field = 'transform'): FieldIssue[] {
  if (transform === null || transform === undefined) return []
  if (typeof transform === 'string') {
    const problem = checkTemplate(transform)
    return problem === null ? [] : [{ field, message: problem }]
  }
  if (typeof transform !== 'object') return [{ field, message: 'must be a template string or an object of templates' }]
  const issues: FieldIssue[] = []
  let leaves = 0
  let chars = 0
  const visit = (value: unknown, path: string, depth: number): void => {
    if (issues.length >= 20) return
    if (typeof value === 'string') {
      leaves++
      chars += value.length
      if (!hasTemplateSyntax(value)) return
      const problem = checkTemplate(value)
      if (problem !== null) issues.push({ field: path, message: problem })
      return
    }
    if (value === null || typeof value === 'number' || typeof value === 'boolean') return
    if (typeof value !== 'object') {
      issues.push({ field: path, message: 'must be a template string, a number, a boolean, null, an array or an object' })
      return
    }
    if (depth >= MAX_TEMPLATE_DEPTH) {
      issues.push({ field: path, message: `nests deeper than ${MAX_TEMPLATE_DEPTH} levels` })
      return
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}.${i}`, depth + 1))
      return
    }
    if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
      issues.push({ field: path, message: 'must be a plain object' })
      return
    }
    for (const key of Object.keys(value)) {
      if (BLOCKED.has(key)) {
        issues.push({ field: `${path}.${key}`, message: `\`${key}\` is not allowed as a key` })
        continue
      }
      visit((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1)
    }
  }
  visit(transform, field, 0)
  if (leaves > MAX_TEMPLATE_LEAVES) issues.push({ field, message: `has more than ${MAX_TEMPLATE_LEAVES} string leaves` })
  if (chars > MAX_TRANSFORM_CHARS) issues.push({ field, message: `holds more than ${MAX_TRANSFORM_CHARS} characters of templates` })
  return issues
}
