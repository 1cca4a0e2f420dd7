import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'
import { HooklineError, ValidationError } from '../errors.js'
import { createIpMatcher, isIpRule, type IpMatcher } from '../incoming/ip-allowlist.js'

/**
 * Resolves a host name to its addresses for the egress guard (and so for the connection: the
 * addresses returned are the ones checked and the ones connected to).
 * @example (hostname) => ['203.0.113.7']
 */
export type EgressLookup = (hostname: string) => Promise<readonly string[]> | readonly string[]

/**
 * Where outgoing deliveries may connect. By default only public unicast addresses: loopback,
 * private, link-local (cloud metadata), CGNAT, unique-local, multicast, reserved, documentation
 * and the IPv4-mapped / NAT64 forms of these are refused, at save time for a literal address and
 * at connect time for the address a name resolves to. See docs/security.md.
 */
export interface EgressOptions {
  /**
   * Exceptions: host names (`hooks.internal`, `*.svc.local`, matched without letter case or a
   * trailing dot, whatever they resolve to), addresses (`10.1.2.3`) and CIDR ranges
   * (`127.0.0.1/32`, `fd00::/8`) a delivery may reach although they are not public.
   * @default []
   * @example { allow: ['127.0.0.1/32', '::1/128', 'localhost'] } // local development
   */
  allow?: string[]
  /**
   * Admit every private-network address: loopback, RFC 1918, CGNAT (100.64.0.0/10), unique local
   * (fc00::/7) and link-local — except the cloud metadata addresses (169.254.169.254,
   * 169.254.170.2, 100.100.100.200, fd00:ec2::254), which only an explicit `allow` entry admits.
   * Multicast, broadcast, unspecified, reserved and documentation ranges stay refused.
   * @default false
   */
  allowPrivateNetworks?: boolean
  /**
   * Resolves host names for the guard; every address it returns is checked and the connection
   * goes to one of them. Useful for a custom DNS or service registry, and in tests.
   * @default node:dns `lookup` with `all: true`
   */
  lookup?: EgressLookup
}

/** A connection the egress guard refused. `reason` is what the attempt log shows. */
export class EgressRefusedError extends HooklineError {
  /** `destination refused: <address> is <range>`. */
  readonly reason: string
  /** The refused address (or host name). */
  readonly address: string
  constructor(address: string, range: string) {
    const reason = `destination refused: ${address} is ${range}`
    super('FORBIDDEN', reason, { status: 403 })
    this.name = 'EgressRefusedError'
    this.reason = reason
    this.address = address
  }
}

/** Where a non-public address belongs, and whether `allowPrivateNetworks` admits it. */
interface Classification {
  range: string
  isPrivateNetwork: boolean
  /** The IPv4 address an IPv4-mapped, -translated, -compatible or NAT64 address carries. */
  inner?: string
}

/** Addresses of cloud instance metadata services: only an explicit `allow` entry admits them. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254'])

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]
const cidr = (text: string): Range => ipaddr.parseCIDR(text)

/** Ranges named more precisely than ipaddr.js's `reserved`. */
const V4_NAMED: [Range, string][] = [
  [cidr('192.0.2.0/24'), 'documentation (TEST-NET-1)'],
  [cidr('198.51.100.0/24'), 'documentation (TEST-NET-2)'],
  [cidr('203.0.113.0/24'), 'documentation (TEST-NET-3)'],
  [cidr('198.18.0.0/15'), 'benchmarking (198.18.0.0/15)'],
]
const V6_NAMED: [Range, string][] = [
  [cidr('2001:db8::/32'), 'documentation (2001:db8::/32)'],
  [cidr('3fff::/20'), 'documentation (3fff::/20)'],
  [cidr('2001:2::/48'), 'benchmarking (2001:2::/48)'],
]
/** IPv6 global unicast: nothing outside 2000::/3 is a public unicast address. */
const V6_GLOBAL = cidr('2000::/3')
/** Deprecated IPv4-compatible addresses (`::a.b.c.d`). */
const V6_COMPATIBLE = cidr('::/96')

const V4_LABELS: Record<string, Classification> = {
  unspecified: { range: 'unspecified (0.0.0.0/8)', isPrivateNetwork: false },
  broadcast: { range: 'broadcast', isPrivateNetwork: false },
  multicast: { range: 'multicast', isPrivateNetwork: false },
  linkLocal: { range: 'link-local', isPrivateNetwork: true },
  loopback: { range: 'loopback', isPrivateNetwork: true },
  carrierGradeNat: { range: 'carrier-grade NAT (100.64.0.0/10)', isPrivateNetwork: true },
  private: { range: 'private (RFC 1918)', isPrivateNetwork: true },
  reserved: { range: 'reserved', isPrivateNetwork: false },
}
const V6_LABELS: Record<string, Classification> = {
  unspecified: { range: 'unspecified (::)', isPrivateNetwork: false },
  loopback: { range: 'loopback', isPrivateNetwork: true },
  linkLocal: { range: 'link-local (fe80::/10)', isPrivateNetwork: true },
  uniqueLocal: { range: 'unique local (fc00::/7)', isPrivateNetwork: true },
  multicast: { range: 'multicast', isPrivateNetwork: false },
  deprecatedSiteLocal: { range: 'site-local (fec0::/10)', isPrivateNetwork: true },
  '6to4': { range: '6to4 (2002::/16)', isPrivateNetwork: false },
  teredo: { range: 'Teredo (2001::/32)', isPrivateNetwork: false },
}

/**
 * Classifies an IP address: `null` for a public unicast address, else the range it belongs to.
 * IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated and NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`)
 * addresses are judged by the IPv4 address they carry.
 * @example classifyAddress('169.254.169.254')?.range // 'link-local'
 */
export function classifyAddress(address: string): Classification | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6
  try {
    ip = ipaddr.parse(dottedTailToHex(stripBrackets(address)))
  } catch {
    return { range: 'not an IP address', isPrivateNetwork: false }
  }
  return ip.kind() === 'ipv4' ? classifyV4(ip as ipaddr.IPv4) : classifyV6(ip as ipaddr.IPv6)
}

function classifyV4(ip: ipaddr.IPv4): Classification | null {
  const range = ip.range()
  if (range === 'unicast') return null
  for (const [[net, bits], name] of V4_NAMED) if (ip.match(net as ipaddr.IPv4, bits)) return { range: name, isPrivateNetwork: false }
  return V4_LABELS[range] ?? { range: `special-purpose (${range})`, isPrivateNetwork: false }
}

function classifyV6(ip: ipaddr.IPv6): Classification | null {
  const range = ip.range()
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') {
    const v4 = new ipaddr.IPv4(ip.toByteArray().slice(12))
    const inner = classifyV4(v4)
    const form = range === 'rfc6052' ? 'NAT64' : range === 'ipv4Mapped' ? 'IPv4-mapped' : 'IPv4-translated'
    return inner === null ? null : { range: `${inner.range} (${form} ${v4.toString()})`, isPrivateNetwork: inner.isPrivateNetwork, inner: v4.toString() }
  }
  if (V6_LABELS[range]) return V6_LABELS[range]!
  if (range !== 'unicast' && range !== 'reserved') return { range: `special-purpose (${range})`, isPrivateNetwork: false }
  for (const [[net, bits], name] of V6_NAMED) if (ip.match(net as ipaddr.IPv6, bits)) return { range: name, isPrivateNetwork: false }
  if (ip.match(V6_COMPATIBLE[0] as ipaddr.IPv6, V6_COMPATIBLE[1])) {
    const v4 = new ipaddr.IPv4(ip.toByteArray().slice(12))
    const inner = classifyV4(v4)
    return { range: `IPv4-compatible (${inner ? `${inner.range}, ` : ''}deprecated ::/96)`, isPrivateNetwork: false, inner: v4.toString() }
  }
  if (range === 'reserved' || !ip.match(V6_GLOBAL[0] as ipaddr.IPv6, V6_GLOBAL[1])) return { range: 'reserved', isPrivateNetwork: false }
  return null
}

/**
 * `::1.2.3.4` → `::102:304`: ipaddr.js reads an IPv6 address ending in a dotted quad as
 * IPv4-mapped whatever precedes it, so `::8.8.8.8` (IPv4-compatible, deprecated) would pass for
 * `::ffff:8.8.8.8`. Rewriting the quad as two hex groups makes it parse as the address it is.
 */
function dottedTailToHex(address: string): string {
  const m = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address)
  if (!m) return address
  const [a, b, c, d] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number]
  if (a > 255 || b > 255 || c > 255 || d > 255) return address
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
}

function stripBrackets(value: string): string {
  return value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value
}

/** Lower-cased, without a trailing dot: `Hooks.Internal.` → `hooks.internal`. */
function canonicalHost(hostname: string): string {
  const lower = stripBrackets(hostname).toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

const HOST_RULE = /^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i

/** True for `localhost`, `localhost.` and names under `.localhost` (RFC 6761: always loopback). */
function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost')
}

const defaultLookup: EgressLookup = async (hostname) => (await dnsLookup(hostname, { all: true, order: 'verbatim' })).map((a) => a.address)

/**
 * The egress policy of one manager: which destinations deliveries may connect to. Built from
 * {@link EgressOptions}; the transport asks it at every new connection, the manager when an
 * endpoint's URL is saved.
 */
export class EgressPolicy {
  readonly #hosts = new Set<string>()
  readonly #suffixes: string[] = []
  readonly #addresses: IpMatcher
  readonly #allowPrivate: boolean
  readonly #lookup: EgressLookup

  /** @throws ValidationError naming `egress.allow.N` for an entry that is neither a host name, an address nor a CIDR range */
  constructor(options: EgressOptions = {}) {
    const ipRules: string[] = []
    const issues: { field: string; message: string }[] = []
    const allow = options.allow ?? []
    if (!Array.isArray(allow)) throw new ValidationError('manager options', [{ field: 'egress.allow', message: 'must be an array of host names, addresses or CIDR ranges' }])
    allow.forEach((entry, i) => {
      if (typeof entry !== 'string' || entry.trim() === '') issues.push({ field: `egress.allow.${i}`, message: 'must be a non-empty string' })
      else if (isIpRule(entry)) ipRules.push(entry.trim())
      else if (HOST_RULE.test(entry.trim())) {
        const host = canonicalHost(entry.trim())
        if (host.startsWith('*.')) this.#suffixes.push(host.slice(1))
        else this.#hosts.add(host)
      } else issues.push({ field: `egress.allow.${i}`, message: `${JSON.stringify(entry)} is not a host name, an IP address or a CIDR range` })
    })
    if (options.allowPrivateNetworks !== undefined && typeof options.allowPrivateNetworks !== 'boolean') {
      issues.push({ field: 'egress.allowPrivateNetworks', message: 'must be a boolean' })
    }
    if (options.lookup !== undefined && typeof options.lookup !== 'function') issues.push({ field: 'egress.lookup', message: 'must be a function' })
    if (issues.length > 0) throw new ValidationError('manager options', issues)
    this.#addresses = createIpMatcher(ipRules)
    this.#allowPrivate = options.allowPrivateNetworks === true
    this.#lookup = options.lookup ?? defaultLookup
  }

  /** True when an allow entry names this host (exactly, or by a `*.` suffix). */
  allowsHost(hostname: string): boolean {
    const host = canonicalHost(hostname)
    if (this.#hosts.has(host)) return true
    return this.#suffixes.some((suffix) => host.endsWith(suffix))
  }

  /** Why a connection to `address` is refused, or `null` when it may go ahead. */
  refusal(address: string): EgressRefusedError | null {
    const found = classifyAddress(address)
    if (found === null || this.#addresses.matches(address)) return null
    const plain = stripBrackets(address).toLowerCase()
    if (this.#allowPrivate && found.isPrivateNetwork && !METADATA_ADDRESSES.has(found.inner ?? ipaddr.parse(plain).toString())) return null
    return new EgressRefusedError(plain, found.range)
  }

  /**
   * Save-time check of an endpoint URL: refuses a host that is by its spelling alone a blocked
   * address (any IPv4 spelling the URL parser normalises, a bracketed IPv6) or `localhost`. Names
   * are checked again, resolved, at every connection.
   */
  urlRefusal(url: string): EgressRefusedError | null {
    let hostname: string
    try {
      hostname = new URL(url).hostname
    } catch {
      return null
    }
    if (this.allowsHost(hostname)) return null
    const host = canonicalHost(hostname)
    if (isIP(host) !== 0) return this.refusal(host)
    if (isLocalhostName(host)) return new EgressRefusedError(host, 'loopback (localhost)')
    return null
  }

  /**
   * Resolves `hostname` and checks every address it has. Resolves with them all (none refused),
   * or rejects with the first refusal — one bad address refuses the name, so a resolver cannot
   * slip a private address in beside a public one.
   */
  async resolve(hostname: string): Promise<string[]> {
    const host = stripBrackets(hostname)
    if (isIP(host) !== 0) {
      const refused = this.allowsHost(host) ? null : this.refusal(host)
      if (refused) throw refused
      return [host]
    }
    const addresses = [...(await this.#lookup(host))]
    if (addresses.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host })
    if (!this.allowsHost(host)) {
      for (const address of addresses) {
        const refused = this.refusal(address)
        if (refused) throw refused
      }
    }
    return addresses
  }

  /**
   * A `lookup` for `net.connect` / `tls.connect`: the socket connects to the addresses checked by
   * {@link resolve}, so what is checked is what is connected to (a rebinding DNS gets no second,
   * unchecked answer).
   */
  readonly connectLookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (addresses) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0
        const list = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => family === 0 || a.family === family)
        if (list.length === 0) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname })
          return (callback as (err: Error) => void)(error)
        }
        if (options.all) (callback as unknown as (err: null, all: typeof list) => void)(null, list)
        else callback(null, list[0]!.address, list[0]!.family)
      },
      (error: Error) => (callback as (err: Error) => void)(error),
    )
  }
}

