import { describe, expect, it } from 'vitest'
import { COMMAND_GROUPS } from '../../src/cli/command-groups.js'
import { createProgram } from '../../src/cli/program.js'
import { VERSION } from '../../src/version.js'
import { importGraph } from '../helpers/import-graph.js'
import { runCli } from './run-cli.js'

// The CLI declares every command up front and loads a command's module only when it runs, so
// `--version` and `--help` start without the manager, the stores or the HTTP stack. (How long that
// takes is measured in bench/startup.ts, not asserted here.)
describe('CLI start-up', () => {
  it('the entry loads commander and the command list only; each command module is a dynamic import', () => {
    const graph = importGraph('cli/index.ts', { dynamic: false })
    expect(graph.packages).toEqual(['commander'])
    expect(graph.files).toEqual(['cli/command-groups.ts', 'cli/index.ts', 'cli/normalize-argv.ts', 'cli/program.ts', 'version.ts'])
    expect(importGraph('cli/index.ts').files).toContain('cli/commands/endpoints.ts')
  })

  it('createProgram(args) fills in only the commands the arguments name', async () => {
    const program = await createProgram(['--db', 'x.db', 'webhooks', 'list'])
    const loaded = program.commands.filter((c) => c.commands.length > 0 || c.options.length > 0).map((c) => c.name())
    expect(loaded).toEqual(['endpoints'])
    const bare = await createProgram(['--version'])
    expect(bare.commands.map((c) => c.name())).toEqual(COMMAND_GROUPS.map((g) => g.name))
    expect(bare.commands.every((c) => c.commands.length === 0 && c.options.length === 0)).toBe(true)
  })

  it('--version, --help, help <command> and <command> --help work as a user runs them', async () => {
    const version = await runCli(['--version'])
    expect({ code: version.code, stdout: version.stdout }).toEqual({ code: 0, stdout: `${VERSION}\n` })

    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    for (const group of COMMAND_GROUPS) expect(help.stdout).toMatch(new RegExp(`^  ${[group.name, ...(group.aliases ?? [])].join('\\|')} +${group.description.slice(0, 20).replace(/[()[\]]/g, '\\$&')}`, 'm'))

    const statsHelp = await runCli(['help', 'stats'])
    expect(statsHelp.code).toBe(0)
    expect(statsHelp.stdout).toContain('Usage: hookline stats [options] [endpoint-id]')
    expect(statsHelp.stdout).toContain('--since <time>')

    const webhooksHelp = await runCli(['webhooks', '--help'])
    expect(webhooksHelp.code).toBe(0)
    expect(webhooksHelp.stdout).toMatch(/^ {2}list \[options\]/m)
    expect(webhooksHelp.stdout).toMatch(/^ {2}create \[options\]/m)
  }, 120_000)
})
