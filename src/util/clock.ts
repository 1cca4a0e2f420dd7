import type { Clock } from '../types.js'

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() }
