import type { EgressOptions } from '../../src/index.js'

/**
 * Egress rules that let deliveries reach this machine: the test receivers listen on 127.0.0.1.
 * Pass as `egress: allowLoopback` to every manager that delivers to them (the guard refuses
 * loopback by default).
 */
export const allowLoopback = { allow: ['127.0.0.1/32', '::1/128', 'localhost'] } satisfies EgressOptions
