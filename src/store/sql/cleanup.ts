import { ValidationError } from '../../errors.js'
import type { CleanupResult } from '../types.js'

/** Most statements per phase and `cleanup` call; a later call continues where this one stopped. */
export const MAX_CLEANUP_BATCHES = 1000

/** One bounded delete of each kind of record; each returns what it deleted (at most `batchSize` rows). */
export interface CleanupSteps {
  /** Deletes finished deliveries completed before the cutoff, with their attempts. */
  deliveries: () => Promise<{ deliveries: number; attempts: number }>
  /** Deletes messages created before the cutoff that have no delivery left. */
  messages: () => Promise<number>
  /** Deletes incoming logs received before the cutoff. */
  incomingLogs: () => Promise<number>
  /** Deletes incoming dedupe keys that expired before the cutoff. */
  incomingKeys: () => Promise<number>
}

/** Throws a {@link ValidationError} unless `batchSize` is an integer ≥ 1. */
export function assertBatchSize(batchSize: number): void {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new ValidationError('cleanup request', [{ field: 'batchSize', message: `expected an integer >= 1, got \`${String(batchSize)}\`` }])
  }
}

/**
 * The retention sweep of the SQL stores: each phase repeats its bounded delete (one short
 * statement or transaction, so other workers are never locked out for long) until a batch comes
 * back short, at most {@link MAX_CLEANUP_BATCHES} times. Deliveries go first so that the messages
 * they leave orphaned are deleted in the same call.
 */
export async function runCleanup(batchSize: number, steps: CleanupSteps): Promise<CleanupResult> {
  assertBatchSize(batchSize)
  const result: CleanupResult = { deliveries: 0, attempts: 0, messages: 0, incomingLogs: 0 }
  for (let i = 0; i < MAX_CLEANUP_BATCHES; i++) {
    const batch = await steps.deliveries()
    result.deliveries += batch.deliveries
    result.attempts += batch.attempts
    if (batch.deliveries < batchSize) break
  }
  const drain = async (step: () => Promise<number>): Promise<number> => {
    let total = 0
    for (let i = 0; i < MAX_CLEANUP_BATCHES; i++) {
      const deleted = await step()
      total += deleted
      if (deleted < batchSize) break
    }
    return total
  }
  result.messages = await drain(steps.messages)
  result.incomingLogs = await drain(steps.incomingLogs)
  await drain(steps.incomingKeys)
  return result
}
