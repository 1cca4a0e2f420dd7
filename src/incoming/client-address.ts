import { normalizeIp, type IpMatcher } from './ip-allowlist.js'

/** Removes a port from one `X-Forwarded-For` hop (`1.2.3.4:5678`, `[2001:db8::1]:443`). */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']')
    return end > 0 ? hop.slice(1, end) : hop
  }
  const colon = hop.indexOf(':')
  return colon > 0 && hop.indexOf(':', colon + 1) < 0 ? hop.slice(0, colon) : hop
}

/**
 * The address a request came from. The socket address counts unless it belongs to a trusted
 * proxy; then `X-Forwarded-For` is read from right to left, skipping trusted proxies, and the
 * first address that is not one is the client. A header from an untrusted peer is ignored, so a
 * client cannot choose its own address; a malformed entry in the trusted part gives `null`.
 *
 * @param remoteAddress - the socket peer (`connection.remoteAddress`)
 * @param forwardedFor - the `X-Forwarded-For` header value, if any
 * @param trustedProxies - matcher of proxies whose header is believed; `null` trusts none
 */
export function resolveClientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | null,
  trustedProxies: IpMatcher | null,
): string | null {
  let address = remoteAddress === undefined ? null : normalizeIp(remoteAddress)
  if (address === null || trustedProxies === null || forwardedFor === null || !trustedProxies.matches(address)) return address
  const hops = forwardedFor.split(',')
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(stripPort((hops[i] as string).trim()))
    // A malformed entry where the client's address should be: unknown, so allowlists refuse it
    // (the trusted proxy's own address must never stand in for the client).
    if (hop === null) return null
    address = hop
    if (!trustedProxies.matches(hop)) return hop
  }
  return address
}
