import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { escapeTerminal } from '../../src/cli/escape-terminal.js'
import { Output } from '../../src/cli/output.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { endpointFixture } from '../store/fixtures.js'
import { CLI_TEST_TIMEOUT_MS, runCli } from './run-cli.js'

let dir: string
let db: string
let id: string
// A screen clear, a window title (OSC), CR, a C1 CSI, and colour sequences that hide (SGR 8) or
// recolour text: none may reach the terminal, in colour mode neither.
const HOSTILE = 'evil\u001b[2J\u001b]0;pwned\u0007\rX\u009b31m\u001b[8mhidden\u001b[30;40mblack'

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

/** SGR sequences the CLI itself writes (`Output.style`: bold, dim, colours, and their resets). */
const OWN_SGR = /\u001b\[(1|2|22|31|32|33|35|36|39|90)m/g

/** Control characters but tab and line feed, and any escape sequence other than the CLI's own colours. */
const unsafe = (text: string): boolean => /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text.replace(OWN_SGR, ''))

/** An Output writing to memory, as on a colour terminal. */
function colourOutput(stdin?: PassThrough): { out: Output; written: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream
  let text = ''
  ;(stream as unknown as PassThrough).on('data', (c: Buffer) => (text += c.toString()))
  const out = new Output({ json: false, color: undefined, stdout: stream, stderr: stream, ...(stdin ? { stdin } : {}) })
  return { out, written: () => text }
}

describe('the CLI escapes tenant-controlled text it prints', () => {
  it('escapeTerminal makes ESC, BEL, CR and C1 visible, SGR colours too; keeps tab and line feed', () => {
    expect(escapeTerminal('a\u001b[2Jb\u0007c\rd\u009be\tf\ng')).toBe('a\\x1b[2Jb\\x07c\\rd\\x9be\tf\ng')
    expect(escapeTerminal('\u001b[32mok\u001b[39m \u001b]0;t\u0007')).toBe('\\x1b[32mok\\x1b[39m \\x1b]0;t\\x07')
  })

  it('in colour mode, tenant SGR / OSC sequences are escaped in lines, tables, details and errors while the CLI’s own colours pass', () => {
    vi.stubEnv('NO_COLOR', undefined)
    vi.stubEnv('FORCE_COLOR', '1')
    try {
      const { out, written } = colourOutput()
      expect(out.color).toBe(true)
      out.line(`${out.style('bold', 'Name')} ${HOSTILE}`)
      out.success(`Created ${out.style('bold', HOSTILE)}`)
      out.table(['NAME', 'STATUS'], [[HOSTILE, out.status('active')]])
      out.details([['Name', HOSTILE], ['Secret', out.style('yellow', 'whsec_x')]])
      out.warn(HOSTILE)
      out.error(HOSTILE)
      const text = written()
      expect(unsafe(text), JSON.stringify(text)).toBe(false)
      expect(text).toContain('\\x1b[8mhidden\\x1b[30;40mblack')
      expect(text).toContain('\u001b[1mName\u001b[22m') // the CLI's bold
      expect(text).toContain('\u001b[32mactive\u001b[39m') // a status colour
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('the delete confirmation prompt (Output.ask) escapes the tenant URL it shows', async () => {
    const stdin = new PassThrough()
    const { out, written } = colourOutput(stdin)
    const answer = out.ask(`Delete endpoint ep_1 (https://x.example/${HOSTILE})? [y/N] `)
    stdin.end('n\n')
    expect(await answer).toBe('n')
    expect(unsafe(written()), JSON.stringify(written())).toBe(false)
    expect(written()).toContain('\\x1b]0;pwned\\x07')
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
        if (label === 'coloured') {
          expect(run.stdout).toMatch(OWN_SGR) // colour really was on
          expect(run.stdout).toContain('\\x1b[8mhidden')
        }
      }
    }, CLI_TEST_TIMEOUT_MS)
  }
})
