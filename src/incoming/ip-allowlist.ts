import { BlockList, isIP } from 'node:net'

/** One parsed allowlist entry. */
interface IpRule {
  address: string
  prefix: number | null
  family: 'ipv4' | 'ipv6'
}

/** Decides whether an address belongs to a list of addresses and CIDR ranges. */
export interface IpMatcher {
  /** True when `address` (IPv4, IPv6 or IPv4-mapped IPv6) is in the list. */
  matches(address: string | null | undefined): boolean
}

const MAPPED_PREFIX = /^(?:::|(?:0{1,4}:){5})ffff:/

/**
 * Canonical form of an address for matching: brackets and zone ids (`%eth0`) removed, and an
 * IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, `::ffff:a00:1`) turned into its IPv4 address — Node
 * reports IPv4 clients of a dual-stack server that way. Returns `null` when it is not an IP.
 * @example normalizeIp('::ffff:127.0.0.1') // '127.0.0.1'
 */
export function normalizeIp(value: string): string | null {
  let address = value.trim()
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1)
  const zone = address.indexOf('%')
  if (zone >= 0) address = address.slice(0, zone)
  const family = isIP(address)
  if (family === 4) return address
  if (family !== 6) return null
  const lower = address.toLowerCase()
  const mapped = MAPPED_PREFIX.exec(lower)
  if (mapped) {
    const tail = lower.slice(mapped[0].length)
    if (isIP(tail) === 4) return tail
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(tail)
    if (hex) {
      const high = parseInt(hex[1] as string, 16)
      const low = parseInt(hex[2] as string, 16)
      return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
    }
  }
  return lower
}

/**
 * Parses an allowlist entry: an address (`203.0.113.7`, `2001:db8::1`) or a CIDR range
 * (`10.0.0.0/8`, `2001:db8::/32`). Returns `null` when it is neither.
 */
function parseIpRule(value: string): IpRule | null {
  const text = value.trim()
  const slash = text.indexOf('/')
  const raw = slash < 0 ? text : text.slice(0, slash)
  let prefix: number | null = null
  if (slash >= 0) {
    const bits = text.slice(slash + 1)
    if (!/^\d{1,3}$/.test(bits)) return null
    prefix = Number(bits)
  }
  const address = normalizeIp(raw)
  if (address === null) return null
  const family = isIP(address) === 4 ? 'ipv4' : 'ipv6'
  const isMapped = family === 'ipv4' && isIP(address) !== isIP(raw.replace(/^\[|\]$/g, '').split('%')[0] as string)
  if (prefix !== null && isMapped) {
    // `::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8.
    if (prefix < 96) return null
    prefix -= 96
  }
  if (prefix !== null && prefix > (family === 'ipv4' ? 32 : 128)) return null
  return { address, prefix, family }
}

/** True when `value` is an IPv4 / IPv6 address or CIDR range hookline accepts in an allowlist. */
export function isIpRule(value: string): boolean {
  return parseIpRule(value) !== null
}

/**
 * Compiles a list of addresses and CIDR ranges (IPv4 and IPv6) into a matcher backed by
 * `node:net`'s `BlockList`. IPv4-mapped IPv6 sources match IPv4 entries.
 *
 * @throws TypeError naming the first entry that is not an address or range
 * @example createIpMatcher(['10.0.0.0/8', '2001:db8::/32']).matches('::ffff:10.1.2.3') // true
 */
export function createIpMatcher(rules: readonly string[]): IpMatcher {
  // One list per family: Node's BlockList also matches an IPv4 address against IPv6 ranges that
  // contain its mapped form (`::/0`, `::/80`), which an allowlist of IPv6 ranges must not do.
  const lists = { ipv4: new BlockList(), ipv6: new BlockList() }
  for (const value of rules) {
    const rule = parseIpRule(value)
    if (rule === null) throw new TypeError(`${JSON.stringify(value)} is not an IP address or CIDR range`)
    const list = lists[rule.family]
    if (rule.prefix === null) list.addAddress(rule.address, rule.family)
    else list.addSubnet(rule.address, rule.prefix, rule.family)
  }
  return {
    matches(address) {
      if (address === null || address === undefined) return false
      const ip = normalizeIp(address)
      if (ip === null) return false
      const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6'
      return lists[family].check(ip, family)
    },
  }
}

/** Matchers of recently seen lists, so a hook's allowlist is compiled once, not per request. */
const cache = new Map<string, IpMatcher>()
const CACHE_LIMIT = 512

/** {@link createIpMatcher} with a small cache keyed by the list's contents. */
export function cachedIpMatcher(rules: readonly string[]): IpMatcher {
  const key = rules.join(',')
  let matcher = cache.get(key)
  if (matcher === undefined) {
    matcher = createIpMatcher(rules)
    if (cache.size >= CACHE_LIMIT) {
      const oldest = cache.keys().next()
      if (oldest.done !== true) cache.delete(oldest.value)
    }
    cache.set(key, matcher)
  }
  return matcher
}
