import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The package as npm users get it: `npm run build` and `npm pack` from a copy of the package's
// published files, the tarball installed into a scratch app in a temporary directory (outside this
// repository, so nothing resolves from its node_modules), then each entry imported from ESM and
// from CommonJS, the CLI run, and a TypeScript consumer type-checked against the shipped types.
//
// The install is offline: `npm ci --offline` with a lock file made from this repository's (the
// production packages, at the versions `npm install` put in the npm cache). When the cache lacks
// them (node_modules restored without a cache), the tarball is unpacked into node_modules and
// those packages are linked from this repository's node_modules instead, said in one line.
// The database drivers are optional peer dependencies, so the app first has neither (their
// errors are checked), then gets this repository's copies linked in.

const ROOT = resolve(import.meta.dirname, '../..')
const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string
  files: string[]
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
  license: string
  bin: Record<string, string>
  engines: Record<string, string>
}
const work = mkdtempSync(join(tmpdir(), 'hookline-packed-'))
const pkgDir = join(work, 'pkg')
const app = join(work, 'app')
const requireEsm = (process.features as { require_module?: boolean }).require_module === true
let tarball = ''
let packedFiles: string[] = []
let installedBy = ''

const node = (args: string[], options: { env?: NodeJS.ProcessEnv } = {}) => {
  const result = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...options.env } })
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() }
}
const esm = (source: string) => node(['--input-type=module', '-e', source])
const cli = (...args: string[]) => node([join(app, 'node_modules/hookline', rootPackage.bin.hookline!), ...args], { env: { HOOKLINE_DB: '', NO_COLOR: '1' } })
const link = (name: string, from = join(ROOT, 'node_modules', name)) => {
  mkdirSync(join(app, 'node_modules', name, '..'), { recursive: true })
  symlinkSync(from, join(app, 'node_modules', name))
}

/** This repository's lock entries of the production packages (what `npm install hookline` adds). */
function productionLockEntries(): Record<string, Record<string, unknown>> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> }
  return Object.fromEntries(Object.entries(lock.packages).filter(([path, entry]) => path !== '' && entry.dev !== true && entry.devOptional !== true))
}

function install(): void {
  const spec = `file:../${tarball}`
  const integrity = `sha512-${execFileSync('openssl', ['dgst', '-sha512', '-binary', join(work, tarball)]).toString('base64')}`
  const production = productionLockEntries()
  const hookline = {
    version: rootPackage.version,
    resolved: spec,
    integrity,
    license: rootPackage.license,
    dependencies: rootPackage.dependencies,
    peerDependencies: rootPackage.peerDependencies,
    peerDependenciesMeta: rootPackage.peerDependenciesMeta,
    bin: rootPackage.bin,
    engines: rootPackage.engines,
  }
  const manifest = { name: 'scratch-app', version: '1.0.0', private: true, dependencies: { hookline: spec } }
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2))
  const lock = { name: 'scratch-app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': manifest, 'node_modules/hookline': hookline, ...production } }
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2))
  const ci = spawnSync('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, encoding: 'utf8', timeout: 120_000 })
  if (ci.status === 0) {
    installedBy = 'npm ci --offline'
    return
  }
  if (!/ENOTCACHED/.test(ci.stderr)) throw new Error(`npm ci failed (exit ${ci.status}):\n${ci.stderr}`)
  console.warn('[packed-tarball] npm ci --offline: the npm cache lacks some packages; unpacking the tarball and linking its dependencies from node_modules instead')
  rmSync(join(app, 'node_modules'), { recursive: true, force: true })
  mkdirSync(join(app, 'node_modules/hookline'), { recursive: true })
  execFileSync('tar', ['-xzf', join(work, tarball), '-C', join(app, 'node_modules/hookline'), '--strip-components=1'])
  for (const path of Object.keys(production)) {
    const name = path.slice('node_modules/'.length)
    if (!name.includes('/node_modules/')) link(name)
  }
  installedBy = 'unpacked tarball + linked dependencies'
}

// The time limits below are ceilings for a stuck step, not speed checks: the build (declarations
// included) took 48 s at load 1–10, and 240 s at load 13 while other test files ran beside it.
beforeAll(() => {
  mkdirSync(pkgDir)
  mkdirSync(app)
  for (const file of ['package.json', ...rootPackage.files.filter((f) => f !== 'dist')]) cpSync(join(ROOT, file), join(pkgDir, file), { recursive: true })
  execFileSync('npm', ['run', 'build', '--silent', '--', '--out-dir', join(pkgDir, 'dist'), '--silent'], { cwd: ROOT, stdio: 'pipe', timeout: 600_000 })
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: pkgDir, encoding: 'utf8', timeout: 60_000 })) as {
    filename: string
    files: { path: string }[]
  }[]
  tarball = packed[0]!.filename
  packedFiles = packed[0]!.files.map((f) => f.path)
  install()
}, 900_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the packed tarball, installed into a scratch app', () => {
  it('holds the built entries, their types, the console assets, the docs and nothing of the sources', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/verify.js', 'dist/verify.d.ts', 'dist/sqlite.js', 'dist/sqlite.d.ts', 'dist/postgres.js', 'dist/postgres.d.ts', 'dist/cli.js']) {
      expect(packedFiles, file).toContain(file)
    }
    for (const file of ['dist/console-assets/app.js', 'dist/console-assets/app.css', 'docs/api.md', 'docs/openapi.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']) {
      expect(packedFiles, file).toContain(file)
    }
    expect(packedFiles.filter((f) => /^(src|test|bench|scripts|examples)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([])
    expect(installedBy).not.toBe('')
    expect(existsSync(join(app, 'node_modules/pg')) || existsSync(join(app, 'node_modules/better-sqlite3'))).toBe(false)
  })

  it('without the drivers (optional peers): both entries import, and each store names the package to install', () => {
    const run = esm(`
      import { sqliteStore } from 'hookline/sqlite'
      import { postgresStore } from 'hookline/postgres'
      const messages = []
      try { await sqliteStore({ filename: 'app.db' }).migrate() } catch (e) { messages.push(e.code + ' ' + e.message) }
      try { postgresStore({ connectionString: 'postgres://127.0.0.1:1/x' }) } catch (e) { messages.push(e.code + ' ' + e.message) }
      console.log(JSON.stringify(messages))`)
    expect(run.stderr).toBe('')
    expect(JSON.parse(run.stdout)).toEqual([
      'STORE_ERROR [hookline] [sqlite] the `better-sqlite3` package is required for sqliteStore({ filename }): npm install better-sqlite3',
      'STORE_ERROR [hookline] [postgres] the `pg` package is required for postgresStore({ connectionString }): npm install pg',
    ])
    // The CLI says the same, without the [hookline] prefix.
    const sqlite = cli('--db', 'app.db', 'webhooks:list')
    expect({ code: sqlite.code, stderr: sqlite.stderr }).toEqual({ code: 1, stderr: 'error: [sqlite] the `better-sqlite3` package is required for sqliteStore({ filename }): npm install better-sqlite3' })
    const postgres = cli('--db', 'postgres://127.0.0.1:1/x', 'webhooks:list')
    expect({ code: postgres.code, stderr: postgres.stderr }).toEqual({ code: 1, stderr: 'error: [postgres] the `pg` package is required for postgresStore({ connectionString }): npm install pg' })
  })

  describe('with the drivers installed', () => {
    beforeAll(() => {
      link('pg')
      link('better-sqlite3')
      link('@types/node')
    })

    it('imports every entry from ESM; a manager on SQLite stores an endpoint, and the signatures agree', () => {
      const run = esm(`
        import { createWebhookManager, sign, createConsoleHandler } from 'hookline'
        import { verifySignature } from 'hookline/verify'
        import { sqliteStore } from 'hookline/sqlite'
        import { postgresStore } from 'hookline/postgres'
        const m = createWebhookManager({ store: sqliteStore({ filename: ':memory:' }) })
        await m.migrate()
        const ep = await m.createEndpoint({ url: 'https://example.com/hook', events: ['*'] })
        const body = '{"a":1}'
        const signature = sign({ secret: 'k', body })
        const page = await createConsoleHandler(m, { authorize: () => true })(new Request('http://localhost/console/assets/app.js'))
        console.log(JSON.stringify([typeof postgresStore, ep.id.startsWith('ep_'), signature.slice(0, 7), verifySignature({ secret: 'k', body, signature }), page.status, (await page.text()).length > 10000]))
        await m.close()`)
      expect(run.stderr).toBe('')
      expect(JSON.parse(run.stdout)).toEqual(['function', true, 'sha256=', true, 200, true])
    })

    it.skipIf(!requireEsm)(`requires every entry from CommonJS (require(esm), Node >= 20.19; this is ${process.version})`, () => {
      const run = node([
        '-e',
        `const { createWebhookManager } = require('hookline')
         const { verifySignature, sign } = require('hookline/verify')
         const { sqliteStore } = require('hookline/sqlite')
         const { postgresStore } = require('hookline/postgres')
         const signature = sign({ secret: 'k', body: 'b', prefix: '' })
         console.log(JSON.stringify([typeof createWebhookManager, typeof sqliteStore, typeof postgresStore, verifySignature({ secret: 'k', body: 'b', signature })]))`,
      ])
      expect(run.code, run.stderr).toBe(0)
      expect(JSON.parse(run.stdout)).toEqual(['function', 'function', 'function', true])
    })
    if (!requireEsm) console.log(`[packed-tarball] SKIP CommonJS require(): Node ${process.version} has no require(esm) (Node >= 20.19 / 22.12)`)

    it('runs the hookline bin: --version, and a SQLite database', () => {
      expect(cli('--version')).toEqual({ code: 0, stdout: rootPackage.version, stderr: '' })
      if (installedBy === 'npm ci --offline') expect(existsSync(join(app, 'node_modules/.bin/hookline'))).toBe(true)
      const created = cli('--db', 'cli.db', 'webhooks:create', '--url', 'https://example.com/hook', '--events', 'agent.*', '--format', 'json')
      expect(created.code, created.stderr).toBe(0)
      expect(JSON.parse(created.stdout)).toMatchObject({ url: 'https://example.com/hook', events: ['agent.*'] })
    })

    it('type-checks a TypeScript consumer (ESM and CommonJS) against the shipped declarations', () => {
      writeFileSync(
        join(app, 'tsconfig.json'),
        // skipLibCheck, as most apps set it (checking all of @types/node takes minutes on a loaded
        // machine); the @ts-expect-error lines fail if the shipped types degrade to `any`.
        JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['consumer.mts', 'consumer.cts'] }),
      )
      writeFileSync(
        join(app, 'consumer.mts'),
        `import { createWebhookManager, HooklineError, type WebhookStore } from 'hookline'
import { verifySignature } from 'hookline/verify'
import { sqliteStore } from 'hookline/sqlite'
import { postgresStore, type PostgresStore } from 'hookline/postgres'

type Events = { 'agent.created': { agent_id: string } }
const store: WebhookStore = sqliteStore({ filename: 'typed.db' })
const pg: PostgresStore = postgresStore({ connectionString: 'postgres://localhost/app' })
const hooks = createWebhookManager<Events>({ store })
await hooks.emit('agent.created', { agent_id: 'agent_123' })
// @ts-expect-error: the event's data is typed
await hooks.emit('agent.created', { agent_id: 123 })
// @ts-expect-error: an endpoint's url is a string
await hooks.createEndpoint({ url: 1, events: ['*'] })
const ok: boolean = verifySignature({ secret: 's', body: '{}', signature: 'sha256=00' })
const code: string = new HooklineError('VALIDATION_ERROR', 'x').code
export { ok, code, pg }
`,
      )
      writeFileSync(
        join(app, 'consumer.cts'),
        `import { sign } from 'hookline/verify'
import { createWebhookManager } from 'hookline'
const signature: string = sign({ secret: 's', body: '{}' })
// @ts-expect-error: sign takes an options object
sign('s', '{}')
export const manager = createWebhookManager()
export { signature }
`,
      )
      const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8', timeout: 170_000 })
      expect(tsc.stdout + tsc.stderr).toBe('')
      expect(tsc.status).toBe(0)
    }, 180_000)
  })
})
