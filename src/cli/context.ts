import type { Command } from 'commander'
import type { WebhookManager } from '../manager/webhook-manager.js'
import { CliError, describeError, EXIT } from './cli-error.js'
import { openManager, type DatabaseTarget, type GlobalOptions } from './open-manager.js'
import { Output } from './output.js'

/** What a command's body gets. */
export interface CommandContext {
  manager: WebhookManager
  target: DatabaseTarget
  out: Output
  globals: GlobalOptions
}

/**
 * Runs a command body against the database of `--db`: opens and migrates it, runs `body`, closes
 * it, and turns errors into a message on stderr and a non-zero exit code. The body returns the
 * exit code (default 0).
 */
export async function runCommand(
  command: Command,
  body: (context: CommandContext) => Promise<number | void>,
  optionNames: Record<string, string> = {},
): Promise<void> {
  const globals = command.optsWithGlobals<GlobalOptions>()
  const out = new Output({ json: globals.json === true || globals.format === 'json', color: globals.color })
  let manager: WebhookManager | null = null
  try {
    const opened = await openManager(globals)
    manager = opened.manager
    process.exitCode = (await body({ manager, target: opened.target, out, globals })) ?? EXIT.ok
  } catch (error) {
    out.error(describeError(error, optionNames))
    process.exitCode = error instanceof CliError ? error.exitCode : EXIT.error
  } finally {
    await manager?.close({ drain: false }).catch((error: unknown) => out.warn(`closing the database failed: ${describeError(error)}`))
  }
}
