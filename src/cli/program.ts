import { Command, Option } from 'commander'
import { VERSION } from '../version.js'
import { COMMAND_GROUPS } from './command-groups.js'

const FOOTER = `
Database:
  --db ./hookline.db               a SQLite file (created when missing; needs better-sqlite3)
  --db postgres://user@host/db     a Postgres database (needs pg); ?schema=name for a non-default schema
  HOOKLINE_DB                      used when --db is not given

Environment:
  HOOKLINE_DB, HOOKLINE_CONFIG     defaults of --db and --config
  HOOKLINE_ENCRYPTION_KEYS         id:base64[,id2:base64…] — keys that encrypt secrets at rest (first encrypts)
  HOOKLINE_EGRESS_ALLOW            default of --egress-allow (comma-separated hosts / CIDR ranges)
  HOOKLINE_EGRESS_ALLOW_PRIVATE=1  same as --egress-allow-private
  NO_COLOR / FORCE_COLOR           turn colour off / on (default: on for terminals)

Exit codes:
  0 success · 1 error (bad input, not found, database) · 2 a delivery attempt failed (test, trigger, retry, replay)

Examples:
  $ hookline --db hooks.db endpoints create --url https://example.com/hooks --events "agent.*"
  $ hookline --db hooks.db trigger --event agent.created --data '{"agent_id":"agent_123"}'
  $ hookline --db hooks.db deliveries list --status failed,dead --since 24h
  $ hookline --db hooks.db stats --json`

/**
 * Builds the `hookline` command line. Every top-level command is declared (name, aliases,
 * description); the modules behind them load only for the commands `args` names, so `--version`
 * and `--help` never load the manager, the stores or the HTTP stack.
 *
 * @param args - the arguments to be parsed (after `normalizeArgv`); omitted, every command loads
 */
export async function createProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command('hookline')
    .description('Manage hookline webhooks from the terminal: endpoints, deliveries, events, incoming hooks.')
    .version(VERSION, '-v, --version')
    .addOption(new Option('--db <file-or-url>', 'SQLite file or postgres:// URL (default: $HOOKLINE_DB)'))
    .option('--json', 'print JSON (the API’s snake_case shapes) instead of tables')
    .addOption(new Option('--format <format>', 'json or table (seed 003’s spelling of --json)').choices(['json', 'table']))
    .option('--no-color', 'no colours')
    .addOption(new Option('--config <module>', 'JS module that registers event types / sets manager options (default: $HOOKLINE_CONFIG)'))
    .addOption(
      new Option('--egress-allow <list>', 'hosts and CIDR ranges deliveries may reach although not public, comma-separated, e.g. 127.0.0.1/32,hooks.internal (default: $HOOKLINE_EGRESS_ALLOW)'),
    )
    .option('--egress-allow-private', 'let deliveries reach private networks (RFC 1918, loopback, ULA, CGNAT, link-local; not cloud metadata)')
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText('after', FOOTER)

  const words = args === undefined ? null : new Set(args.filter((arg) => !arg.startsWith('-')))
  for (const group of COMMAND_GROUPS) {
    const command = program.command(group.name).description(group.description)
    if (group.aliases !== undefined) command.aliases(group.aliases)
    if (words === null || [group.name, ...(group.aliases ?? [])].some((name) => words.has(name))) (await group.load())(command)
  }
  return program
}
