import type { Command } from 'commander'
import { isHooklineError } from '../../errors.js'
import type { ReencryptCounts } from '../../store/encrypted-store.js'
import { CliError, EXIT } from '../cli-error.js'
import { runCommand } from '../context.js'
import { ENCRYPTION_KEYS_ENV } from '../open-manager.js'
import { parseInteger } from '../parse-options.js'
import { startProgress } from '../progress.js'

const counts = (c: ReencryptCounts) => ({ scanned: c.scanned, reencrypted: c.reencrypted, unreadable: c.unreadable })

/** The subcommands of `hookline secrets …` (`reencrypt`) */
export function registerSecretsCommands(secrets: Command): void {

  secrets
    .command('reencrypt')
    .description('re-encrypt every stored secret under the first key of HOOKLINE_ENCRYPTION_KEYS (plain-text and older-key values); safe to run again')
    .option('--batch-size <n>', 'records read per page', '100')
    .action(async (o: { batchSize: string }, cmd: Command) =>
      runCommand(cmd, async ({ manager, out }) => {
        const batchSize = parseInteger(o.batchSize, '--batch-size', 1, 10_000)
        const progress = startProgress('Re-encrypting secrets', out.stderr)
        const result = await manager
          .reencryptSecrets({ batchSize, onProgress: ({ counts: c }) => progress.update(c.scanned) })
          .catch((error: unknown) => {
            if (isHooklineError(error) && error.code === 'CONFIGURATION_ERROR') {
              throw new CliError(`no encryption keys: set ${ENCRYPTION_KEYS_ENV}=<id>:<base64 of 32 bytes>[,<old id>:<base64>…] (the first key encrypts)`)
            }
            throw error
          })
          .finally(() => progress.stop())
        const unreadable = result.endpoints.unreadable + result.incomingHooks.unreadable
        if (out.json) {
          out.printJson({
            key_id: result.keyId,
            endpoints: counts(result.endpoints),
            incoming_hooks: counts(result.incomingHooks),
            first_error: result.firstError === null ? null : { code: result.firstError.code, key_id: result.firstError.keyId, message: result.firstError.message.replace(/^\[hookline\] /, '') },
          })
        } else {
          out.success(
            `Re-encrypted under key "${result.keyId}": ${result.endpoints.reencrypted} of ${result.endpoints.scanned} endpoints, ` +
              `${result.incomingHooks.reencrypted} of ${result.incomingHooks.scanned} incoming hooks (the others were current already)`,
          )
        }
        if (unreadable === 0) return EXIT.ok
        // Not done: those records keep their old ciphertext until their key is configured too.
        out.error(
          `${unreadable} record(s) left as they are: ${result.firstError!.message.replace(/^\[hookline\] /, '')}. ` +
            `Add that key to ${ENCRYPTION_KEYS_ENV} (after the first) and run this again; do not remove a key while records need it.`,
        )
        return EXIT.error
      }),
    )
}
