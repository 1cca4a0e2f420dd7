import { BLOCKED_NAMES, ENVIRONMENT_OPTIONS, MAX_RANGE_ITEMS, SAFE_NAME_PATTERN } from './sandbox-rules.js'

/** Compiled templates a render process keeps (per hook version), oldest evicted first. */
const MAX_CACHED_TEMPLATES = 256

/**
 * Source of the render process, run as `node --disallow-code-generation-from-strings -e <source>`
 * with an IPC channel. It is plain CommonJS JavaScript on purpose: `-e` needs no separate file, so
 * it works the same from the published bundle, under tsx and under vitest.
 *
 * What it enforces (the pool adds the wall-clock timeout and the heap limit):
 * - no code generation from strings in the whole process: `Function("…")` and `eval` throw, so even
 *   a reached `Function` constructor compiles nothing. nunjucks' own template compilation is
 *   switched to `vm.runInThisContext`, which that flag does not cover;
 * - a nunjucks environment with NO loaders (the default would be a FileSystemLoader on `views/`)
 *   and null-prototype `filters`, `tests` and `globals`, so `x | valueOf` or `x is valueOf` find
 *   nothing;
 * - a private copy of nunjucks' runtime whose `memberLookup` refuses any member of a function and
 *   the blocked names (`constructor`, `__proto__`, `prototype`, accessor helpers), whose
 *   `contextOrFrameLookup` only sees the template's own variables, the payload and the three
 *   globals, and whose `callWrap` never passes the render context as `this`;
 * - payloads parsed into null-prototype objects, so data has no inherited members at all;
 * - `range()` capped at MAX_RANGE_ITEMS items, and output counted as it is produced.
 */
export function sandboxProcessSource(): string {
  return `'use strict';
const vm = require('node:vm');
const nunjucks = require(process.env.HOOKLINE_NUNJUCKS);

const SAFE_NAME = new RegExp(${JSON.stringify(SAFE_NAME_PATTERN)});

// The same token rule as checkTemplateTokens in sandbox-rules.ts (written out: this is a string).
function checkTemplateTokens(source, lexer) {
  const tokens = lexer.lex(source, {});
  for (let i = 0; i <= source.length; i++) {
    const token = tokens.nextToken();
    if (token === null) return null;
    if (token.type === 'symbol' && !SAFE_NAME.test(String(token.value))) return 'line ' + (token.lineno + 1) + ': a name that is not a plain identifier';
    if (token.type === 'regex') return 'line ' + (token.lineno + 1) + ': regular-expression literals are not available';
  }
  return null;
}

// nunjucks' parse and compile, plus Jinja-style \`x contains y\` (= \`y in x\`), as in
// template-check.ts (the main thread parses the same way).
const transformer = require(require('node:path').join(require('node:path').dirname(process.env.HOOKLINE_NUNJUCKS), 'src', 'transformer.js'));
function compileSource(text, name) {
  const parser = new nunjucks.parser.Parser(nunjucks.lexer.lex(text, OPTIONS));
  const parseIn = nunjucks.parser.Parser.prototype.parseIn;
  parser.parseIn = function () {
    let node = parseIn.call(this);
    for (let i = 0; i <= text.length; i++) {
      const token = this.peekToken();
      if (token === null || token.type !== 'symbol' || token.value !== 'contains') break;
      this.nextToken();
      node = new nunjucks.nodes.In(node.lineno, node.colno, parseIn.call(this), node);
    }
    return node;
  };
  const compiler = new nunjucks.compiler.Compiler(name, OPTIONS.throwOnUndefined);
  compiler.compile(transformer.transform(parser.parseAsRoot(), [], name));
  return compiler.getCode();
}

// Templates compile through vm, in a context of their own (eval and Function are disabled in this
// process, and there too): the generated code sees the arguments nunjucks passes it and that
// context's bare built-ins, not require, process or this process's globals. Every name is checked
// first (the main thread checked too): a name that is not a plain identifier could inject code.
nunjucks.Template.prototype._compile = function () {
  const problem = checkTemplateTokens(this.tmplStr, nunjucks.lexer);
  if (problem !== null) throw new Error(problem);
  const source = compileSource(this.tmplStr, this.path);
  const sandbox = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } });
  const props = vm.runInContext('(function () {\\n' + source + '\\n})', sandbox, { filename: 'transform-template.js' })();
  this.blocks = this._getBlocks(props);
  this.rootRenderFunc = props.root;
  this.compiled = true;
};

const BLOCKED = new Set(${JSON.stringify(BLOCKED_NAMES)});
const MAX_RANGE = ${MAX_RANGE_ITEMS};
const MAX_CACHE = ${MAX_CACHED_TEMPLATES};
const OPTIONS = ${JSON.stringify(ENVIRONMENT_OPTIONS)};
const hasOwn = Object.prototype.hasOwnProperty;
const SafeString = nunjucks.runtime.SafeString;

let budget = 0;
let budgetLimit = 0;

function spend(text) {
  budget -= text.length;
  if (budget < 0) throw new Error('output is larger than ' + budgetLimit + ' bytes');
}

function memberLookup(obj, val) {
  if (obj === undefined || obj === null || typeof obj === 'function') return undefined;
  const key = typeof val === 'number' ? val : String(val);
  if (typeof key === 'string' && BLOCKED.has(key)) return undefined;
  const value = obj[key];
  if (typeof value === 'function') {
    return function () { return value.apply(obj, arguments); };
  }
  return value;
}

function lookupName(context, frame, name) {
  if (BLOCKED.has(name)) return undefined;
  const val = frame.lookup(name);
  if (val !== undefined) return val;
  const ctx = context.ctx;
  if (ctx !== null && typeof ctx === 'object' && hasOwn.call(ctx, name)) return ctx[name];
  if (hasOwn.call(GLOBALS, name)) return GLOBALS[name];
  return undefined;
}

function suppressValue(val) {
  let text;
  if (val === undefined || val === null || typeof val === 'function') text = '';
  else if (typeof val === 'string') text = val;
  else if (val instanceof String) text = String(val);
  else if (typeof val === 'object') { const json = JSON.stringify(val); text = json === undefined ? '' : json; }
  else text = String(val);
  spend(text);
  return text;
}

function callWrap(obj, name, context, args) {
  if (!obj) throw new Error('Unable to call "' + name + '", which is undefined or falsey');
  if (typeof obj !== 'function') throw new Error('Unable to call "' + name + '", which is not a function');
  return obj.apply(undefined, args);
}

function range(start, stop, step) {
  if (stop === undefined) { stop = start; start = 0; step = 1; } else if (!step) { step = 1; }
  start = Number(start); stop = Number(stop); step = Number(step);
  if (!Number.isFinite(start) || !Number.isFinite(stop) || !Number.isFinite(step)) throw new Error('range() needs finite numbers');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_RANGE) throw new Error('range() is limited to ' + MAX_RANGE + ' items');
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = start + i * step;
  return out;
}

function tojson(value, indent) {
  if (indent !== null && typeof indent === 'object') indent = indent.indent;
  const json = JSON.stringify(value === undefined ? null : value, null, typeof indent === 'number' ? Math.min(indent, 10) : undefined);
  return json === undefined ? 'null' : json;
}

// \`x in missing\` is false, as in Jinja, rather than an error that fails the whole transform.
function inOperator(key, container) {
  if (container === undefined || container === null) return false;
  return nunjucks.runtime.inOperator(key, container);
}

const SAFE_RUNTIME = Object.assign(Object.create(null), nunjucks.runtime, {
  inOperator: inOperator,
  memberLookup: memberLookup,
  contextOrFrameLookup: lookupName,
  suppressValue: suppressValue,
  callWrap: callWrap,
});

const env = new nunjucks.Environment([], Object.assign({}, OPTIONS));
const stockGlobals = env.globals;
const GLOBALS = Object.assign(Object.create(null), { range: range, cycler: stockGlobals.cycler, joiner: stockGlobals.joiner });
env.addFilter('tojson', tojson);
env.filters = Object.assign(Object.create(null), env.filters);
env.tests = Object.assign(Object.create(null), env.tests);
env.globals = GLOBALS;
env.loaders = [];

const NO_FRAME = { lookup: function () { return undefined; } };

function compileTemplate(source) {
  const template = new nunjucks.Template(source, env, 'transform', true);
  const root = template.rootRenderFunc;
  template.rootRenderFunc = function (e, context, frame, _runtime, cb) {
    context.lookup = function (name) { return lookupName(context, NO_FRAME, name); };
    return root.call(this, e, context, frame, SAFE_RUNTIME, cb);
  };
  return template;
}

function hasSyntax(text) {
  return text.indexOf('{{') >= 0 || text.indexOf('{%') >= 0 || text.indexOf('{#') >= 0;
}

function compileTree(value) {
  if (typeof value === 'string') return hasSyntax(value) ? { t: compileTemplate(value) } : { v: value };
  if (value === null || typeof value !== 'object') return { v: value };
  if (Array.isArray(value)) return { a: value.map(compileTree) };
  const entries = [];
  for (const key of Object.keys(value)) {
    if (BLOCKED.has(key)) continue;
    entries.push([key, compileTree(value[key])]);
  }
  return { o: entries };
}

const cache = new Map();
function compiled(key, transform) {
  let entry = cache.get(key);
  if (entry !== undefined) {
    cache.delete(key);
    cache.set(key, entry);
    return entry;
  }
  entry = typeof transform === 'string' ? { s: compileTemplate(transform) } : { tree: compileTree(transform) };
  cache.set(key, entry);
  if (cache.size > MAX_CACHE) cache.delete(cache.keys().next().value);
  return entry;
}

function nullProto(key, value) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const copy = Object.create(null);
    for (const k of Object.keys(value)) copy[k] = value[k];
    return copy;
  }
  return value;
}

let outputBytes = 0;
function renderText(template, ctx) {
  const text = String(template.render(ctx));
  outputBytes += Buffer.byteLength(text);
  if (outputBytes > budgetLimit) throw new Error('output is larger than ' + budgetLimit + ' bytes');
  return text;
}

function renderTree(node, ctx) {
  if (node.t !== undefined) return renderText(node.t, ctx);
  if (node.a !== undefined) return node.a.map(function (item) { return renderTree(item, ctx); });
  if (node.o !== undefined) {
    const out = {};
    for (const entry of node.o) Object.defineProperty(out, entry[0], { value: renderTree(entry[1], ctx), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return node.v;
}

function render(job) {
  budget = budgetLimit = job.maxOutputBytes;
  outputBytes = 0;
  const payload = JSON.parse(job.payload, nullProto);
  const ctx = Object.create(null);
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    for (const k of Object.keys(payload)) if (!BLOCKED.has(k)) ctx[k] = payload[k];
  }
  // The body's own fields win; 'data' and 'payload' name the whole body when it has no such field
  // (Stripe and Standard Webhooks bodies carry their own top-level 'data').
  if (!hasOwn.call(ctx, 'data')) ctx.data = payload;
  if (!hasOwn.call(ctx, 'payload')) ctx.payload = payload;
  const entry = compiled(job.key, job.transform);
  if (entry.s === undefined) return renderTree(entry.tree, ctx);
  const text = renderText(entry.s, ctx);
  if (!/^\\s*[[{]/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error('the output looks like JSON but is not valid JSON (' + error.message + '); use the tojson filter for values, e.g. {"text": {{ text | tojson }}}');
  }
}

function run(job) {
  // Jobs are sent ahead (pipelined): one that waited past its deadline is answered as late, not run.
  if (typeof job.notAfter === 'number' && Date.now() > job.notAfter) {
    process.send({ id: job.id, ok: false, late: true });
    return;
  }
  let reply;
  try {
    reply = { id: job.id, ok: true, value: render(job) };
  } catch (error) {
    reply = { id: job.id, ok: false, message: String(error && error.message || error).slice(0, 2000) };
  }
  budget = 0;
  process.send(reply);
}

// One job, or several sent together ({ jobs: [...] }), rendered in order.
process.on('message', function (message) {
  if (Array.isArray(message.jobs)) for (const job of message.jobs) run(job);
  else run(message);
});
process.on('disconnect', function () { process.exit(0); });

// Fail closed: the pool refuses a process in which Function() still compiles code.
let hardened = false;
try { Function('return 1'); } catch (error) { hardened = error instanceof EvalError; }
// Under Node's permission model (when the pool could turn it on): no child processes, no workers.
const permission = process.permission;
const confined = permission !== undefined && !permission.has('child') && !permission.has('worker') && !permission.has('fs.write');
process.send({ ready: true, hardened: hardened, confined: confined });
`
}
