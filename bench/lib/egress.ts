import type { EgressOptions } from '../../src/index.js'

/**
 * The benchmark receivers listen on 127.0.0.1, which hookline's egress guard refuses by default:
 * every benchmark manager allows exactly that address.
 */
export const loopbackEgress: EgressOptions = { allow: ['127.0.0.1/32'] }
