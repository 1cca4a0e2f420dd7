import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapeTerminal } from '../../src/cli/escape-terminal.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { endpointFixture } from '../store/fixtures.js'
import { runCli } from './run-cli.js'

let dir: string
let db: string
let id: string
const HOSTILE = 'evil\u001b[2J\u001b]0;pwned\u0007\rX\u009b31m'

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hookline-cli-escape-'))
  db = join(dir, 'hooks.db')
  // Rows written before control characters were refused (or by another writer): the CLI must
  // still never pass them to the terminal.
  const store = sqliteStore({ filename: db })
  await store.migrate?.()
  const endpoint = endpointFixture({ name: HOSTILE, url: 'https://example.com/\u001b[1Ahook', description: 'd\u0007', events: ['order.*'], metadata: { note: HOSTILE } })
  id = endpoint.id
  await store.createEndpoint(endpoint)
  await store.close()
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Control characters but tab and line feed, and any escape sequence other than SGR colours. */
const unsafe = (text: string): boolean => /[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f-\u009f]/.test(text) || /\u001b(?!\[[0-9;]*m)/.test(text)

describe('the CLI escapes tenant-controlled text it prints', () => {
  it('escapeTerminal makes ESC, BEL, CR and C1 visible; keeps tab, line feed and (on request) SGR colours', () => {
    expect(escapeTerminal('a\u001b[2Jb\u0007c\rd\u009be\tf\ng')).toBe('a\\x1b[2Jb\\x07c\\rd\\x9be\tf\ng')
    expect(escapeTerminal('\u001b[32mok\u001b[39m \u001b]0;t\u0007', true)).toBe('\u001b[32mok\u001b[39m \\x1b]0;t\\x07')
  })

  for (const [label, env] of [
    ['plain', {}],
    ['coloured', { FORCE_COLOR: '1' }],
  ] as const) {
    it(`endpoints list / info (${label} table) and --json print no terminal control sequence`, async () => {
      const runs = label === 'plain' ? [['endpoints', 'list'], ['endpoints', 'info', id, '--json']] : [['endpoints', 'info', id]]
      for (const args of runs) {
        const run = await runCli(['--db', db, ...args], { env })
        expect(run.code, run.stderr).toBe(0)
        expect(unsafe(run.stdout), JSON.stringify(run.stdout)).toBe(false)
        expect(run.stdout).toContain('evil')
      }
    }, 60_000)
  }
})
