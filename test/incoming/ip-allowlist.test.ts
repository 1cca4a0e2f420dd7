import { describe, expect, it } from 'vitest'
import { resolveClientAddress } from '../../src/incoming/client-address.js'
import { createIpMatcher, isIpRule, normalizeIp } from '../../src/incoming/ip-allowlist.js'

describe('ip allowlist', () => {
  it('createIpMatcher() - matches single IPv4 addresses and CIDR ranges (seed 002 list)', () => {
    const m = createIpMatcher(['192.168.1.100', '10.0.0.0/8', '203.0.113.0/24'])
    expect(m.matches('192.168.1.100')).toBe(true)
    expect(m.matches('192.168.1.101')).toBe(false)
    expect(m.matches('10.255.3.4')).toBe(true)
    expect(m.matches('11.0.0.1')).toBe(false)
    expect(m.matches('203.0.113.254')).toBe(true)
    expect(m.matches('203.0.114.1')).toBe(false)
  })

  it('createIpMatcher() - matches IPv6 addresses and ranges, in any notation', () => {
    const m = createIpMatcher(['2001:db8::/32', '::1', 'fe80::1234'])
    expect(m.matches('2001:db8:1:2::3')).toBe(true)
    expect(m.matches('2001:0DB8:0000::0001')).toBe(true)
    expect(m.matches('2001:db9::1')).toBe(false)
    expect(m.matches('::1')).toBe(true)
    expect(m.matches('[::1]')).toBe(true)
    expect(m.matches('fe80::1234%eth0')).toBe(true)
    expect(m.matches('10.0.0.1')).toBe(false)
  })

  it('createIpMatcher() - IPv4-mapped IPv6 sources (dual-stack sockets) match IPv4 entries', () => {
    const m = createIpMatcher(['127.0.0.1', '10.0.0.0/8', '::ffff:192.0.2.0/120'])
    expect(m.matches('::ffff:127.0.0.1')).toBe(true)
    expect(m.matches('::FFFF:10.1.2.3')).toBe(true)
    expect(m.matches('::ffff:a01:203')).toBe(true) // 10.1.2.3 in hex notation
    expect(m.matches('192.0.2.77')).toBe(true)
    expect(m.matches('::ffff:11.0.0.1')).toBe(false)
    expect(normalizeIp('0:0:0:0:0:ffff:7f00:1')).toBe('127.0.0.1')
  })

  it('createIpMatcher() - refuses anything but addresses and ranges; nothing matches a missing address', () => {
    expect(isIpRule('10.0.0.0/33')).toBe(false)
    expect(isIpRule('2001:db8::/129')).toBe(false)
    expect(isIpRule('example.com')).toBe(false)
    expect(isIpRule('10.0.0.0/8x')).toBe(false)
    expect(isIpRule('::/0')).toBe(true)
    expect(() => createIpMatcher(['10.0.0.0/8', 'nope'])).toThrow(/"nope" is not an IP address/)
    const m = createIpMatcher(['0.0.0.0/0'])
    expect(m.matches(null)).toBe(false)
    expect(m.matches('garbage')).toBe(false)
    expect(m.matches('1.2.3.4')).toBe(true)
    // IPv6 ranges hold IPv6 sources only, however wide.
    const v6 = createIpMatcher(['::/0'])
    expect(v6.matches('1.2.3.4')).toBe(false)
    expect(v6.matches('::ffff:1.2.3.4')).toBe(false)
    expect(v6.matches('2001:db8::1')).toBe(true)
  })

  it('resolveClientAddress() - believes X-Forwarded-For only from trusted proxies, right to left', () => {
    const proxies = createIpMatcher(['127.0.0.1', '10.0.0.0/8'])
    // No trusted proxies configured: the socket address, whatever the header says.
    expect(resolveClientAddress('203.0.113.9', '1.1.1.1', null)).toBe('203.0.113.9')
    // An untrusted peer cannot choose its address.
    expect(resolveClientAddress('203.0.113.9', '1.1.1.1', proxies)).toBe('203.0.113.9')
    // Trusted peer: the first untrusted hop from the right is the client; spoofed left entries are ignored.
    expect(resolveClientAddress('::ffff:127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.1.1', proxies)).toBe('198.51.100.7')
    expect(resolveClientAddress('127.0.0.1', '198.51.100.7:4711', proxies)).toBe('198.51.100.7')
    expect(resolveClientAddress('127.0.0.1', '[2001:db8::5]:443', proxies)).toBe('2001:db8::5')
    // A malformed hop where the client should be: unknown (never the proxy's own address).
    expect(resolveClientAddress('127.0.0.1', '198.51.100.7, not-an-ip', proxies)).toBeNull()
    expect(resolveClientAddress('127.0.0.1', 'unknown', proxies)).toBeNull()
    // Only proxies: the leftmost.
    expect(resolveClientAddress('127.0.0.1', '10.0.0.2', proxies)).toBe('10.0.0.2')
    expect(resolveClientAddress(undefined, '1.1.1.1', proxies)).toBeNull()
  })
})
