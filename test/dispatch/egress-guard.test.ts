import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { classifyAddress, EgressPolicy, EgressRefusedError } from '../../src/dispatch/egress-guard.js'
import { createSender } from '../../src/dispatch/send-request.js'
import { createUndiciFetch } from '../../src/dispatch/undici-fetch.js'
import { ValidationError } from '../../src/errors.js'

/** Every non-public family the guard must refuse, with the range it names. */
const REFUSED: [string, RegExp][] = [
  ['127.0.0.1', /^loopback$/],
  ['127.255.255.254', /^loopback$/],
  ['10.0.0.1', /private/],
  ['172.16.5.4', /private/],
  ['192.168.1.1', /private/],
  ['169.254.169.254', /^link-local$/],
  ['169.254.0.1', /^link-local$/],
  ['100.64.0.1', /carrier-grade NAT/],
  ['100.127.255.254', /carrier-grade NAT/],
  ['0.0.0.0', /unspecified/],
  ['0.1.2.3', /unspecified/],
  ['255.255.255.255', /broadcast/],
  ['224.0.0.1', /multicast/],
  ['239.255.255.250', /multicast/],
  ['192.0.2.10', /documentation/],
  ['198.51.100.10', /documentation/],
  ['203.0.113.10', /documentation/],
  ['198.18.0.1', /benchmarking/],
  ['240.0.0.1', /reserved/],
  ['::', /unspecified/],
  ['::1', /^loopback$/],
  ['fc00::1', /unique local/],
  ['fd00:ec2::254', /unique local/],
  ['fe80::1', /link-local/],
  ['febf:ffff::1', /link-local/],
  ['ff02::1', /multicast/],
  ['2001:db8::1', /documentation/],
  ['3fff::1', /documentation/],
  ['2001:2::1', /benchmarking/],
  ['::ffff:127.0.0.1', /loopback \(IPv4-mapped 127.0.0.1\)/],
  ['::ffff:7f00:1', /loopback \(IPv4-mapped/],
  ['::ffff:169.254.169.254', /link-local \(IPv4-mapped/],
  ['::ffff:10.0.0.1', /private.*IPv4-mapped/],
  ['::127.0.0.1', /IPv4-compatible/],
  ['::8.8.8.8', /IPv4-compatible/],
  ['64:ff9b::7f00:1', /loopback \(NAT64 127.0.0.1\)/],
  ['64:ff9b::a9fe:a9fe', /link-local \(NAT64 169.254.169.254\)/],
  ['64:ff9b:1::a00:1', /private.*NAT64/],
  ['2002:7f00:1::1', /6to4/],
  ['2001::1', /Teredo/],
  ['100::1', /discard/],
  ['fec0::1', /site-local/],
  ['4000::1', /reserved/],
]

const PUBLIC = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001::1', '::ffff:8.8.8.8', '64:ff9b::808:808']

describe('classifyAddress', () => {
  it.each(REFUSED)('%s is not public (%s)', (address, range) => {
    expect(classifyAddress(address)?.range).toMatch(range)
  })

  it.each(PUBLIC)('%s is public unicast', (address) => {
    expect(classifyAddress(address)).toBeNull()
  })
})

describe('EgressPolicy', () => {
  it('.refusal() names the address and its range', () => {
    const error = new EgressPolicy().refusal('169.254.169.254')
    expect(error).toBeInstanceOf(EgressRefusedError)
    expect(error!.reason).toBe('destination refused: 169.254.169.254 is link-local')
    for (const [address] of REFUSED) expect(new EgressPolicy().refusal(address), address).not.toBeNull()
    for (const address of PUBLIC) expect(new EgressPolicy().refusal(address), address).toBeNull()
  })

  it('.urlRefusal() refuses every spelling of a blocked literal and localhost, and nothing else', () => {
    const policy = new EgressPolicy()
    const refused = [
      'http://127.0.0.1/hook',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://0x7f000001/',
      'http://017700000001/',
      'http://0177.0.0.1/',
      'http://127.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]:8080/',
      'http://[::1]/',
      'http://[0:0:0:0:0:0:0:1]/',
      'http://[::]/',
      'http://0.0.0.0/',
      'http://0/',
      'http://localhost/',
      'http://LOCALHOST./',
      'http://api.localhost/',
      'https://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://[fe80::1]/',
      'http://10.1.2.3:8080/',
      'http://100.64.0.1/',
      'http://[64:ff9b::7f00:1]/',
      'http://255.255.255.255/',
    ]
    for (const url of refused) expect(policy.urlRefusal(url)?.reason, url).toMatch(/^destination refused: /)
    for (const url of ['https://example.com/hooks', 'http://8.8.8.8/', 'http://[2606:4700::1111]/', 'https://hooks.internal/', 'https://localhost.example.com/']) {
      expect(policy.urlRefusal(url), url).toBeNull()
    }
  })

  it('allow admits exactly what it names: a host, an address, a range', () => {
    const policy = new EgressPolicy({ allow: ['hooks.internal', '*.svc.cluster', '127.0.0.1/32', '10.20.0.0/16', 'fd12::7'] })
    expect(policy.allowsHost('hooks.internal')).toBe(true)
    expect(policy.allowsHost('HOOKS.internal.')).toBe(true)
    expect(policy.allowsHost('other.internal')).toBe(false)
    expect(policy.allowsHost('a.svc.cluster')).toBe(true)
    expect(policy.allowsHost('svc.cluster')).toBe(false)
    expect(policy.refusal('127.0.0.1')).toBeNull()
    expect(policy.refusal('::ffff:127.0.0.1')).toBeNull() // the same IPv4 address
    expect(policy.refusal('127.0.0.2')?.reason).toBe('destination refused: 127.0.0.2 is loopback')
    expect(policy.refusal('::1')).not.toBeNull()
    expect(policy.refusal('10.20.255.1')).toBeNull()
    expect(policy.refusal('10.21.0.1')).not.toBeNull()
    expect(policy.refusal('fd12::7')).toBeNull()
    expect(policy.refusal('fd12::8')).not.toBeNull()
    expect(policy.refusal('169.254.169.254')).not.toBeNull()
    expect(policy.urlRefusal('http://localhost/')).not.toBeNull()
    expect(policy.urlRefusal('http://127.0.0.1:3000/')).toBeNull()
  })

  it('allowPrivateNetworks admits private ranges but not cloud metadata, multicast or reserved', () => {
    const policy = new EgressPolicy({ allowPrivateNetworks: true })
    for (const address of ['10.0.0.1', '192.168.1.1', '127.0.0.1', '::1', 'fd12::1', '100.64.0.1', '169.254.1.1', 'fe80::1', '::ffff:10.0.0.1']) {
      expect(policy.refusal(address), address).toBeNull()
    }
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '169.254.170.2', '100.100.100.200', '::ffff:169.254.169.254', '224.0.0.1', '0.0.0.0', '::', '192.0.2.1', '240.0.0.1']) {
      expect(policy.refusal(address), address).not.toBeNull()
    }
    expect(new EgressPolicy({ allowPrivateNetworks: true, allow: ['169.254.169.254'] }).refusal('169.254.169.254')).toBeNull()
  })

  it('refuses an invalid allow entry with a ValidationError naming it', () => {
    expect(() => new EgressPolicy({ allow: ['127.0.0.1/33'] })).toThrow(ValidationError)
    try {
      new EgressPolicy({ allow: ['ok.example', 'not a host', ''] })
    } catch (error) {
      expect((error as ValidationError).fields.map((f) => f.field)).toEqual(['egress.allow.1', 'egress.allow.2'])
    }
    expect(() => new EgressPolicy({ allowPrivateNetworks: 'yes' as unknown as boolean })).toThrow(/egress.allowPrivateNetworks/)
  })

  it('.resolve() checks every address a name has: one private address refuses the name', async () => {
    const answers: Record<string, string[]> = { 'mixed.test': ['93.184.216.34', '10.0.0.5'], 'public.test': ['93.184.216.34', '2606:4700::1'], 'empty.test': [] }
    const policy = new EgressPolicy({ lookup: (host) => answers[host] ?? [] })
    await expect(policy.resolve('public.test')).resolves.toEqual(['93.184.216.34', '2606:4700::1'])
    await expect(policy.resolve('mixed.test')).rejects.toMatchObject({ reason: 'destination refused: 10.0.0.5 is private (RFC 1918)' })
    await expect(policy.resolve('empty.test')).rejects.toMatchObject({ code: 'ENOTFOUND' })
    await expect(policy.resolve('169.254.169.254')).rejects.toBeInstanceOf(EgressRefusedError)
  })

  it('.connectLookup() asks at every connection: a rebinding resolver (public, then loopback) is refused the second time', async () => {
    let calls = 0
    const policy = new EgressPolicy({ lookup: () => (++calls === 1 ? ['93.184.216.34'] : ['127.0.0.1']) })
    const lookup = (all: boolean) =>
      new Promise<unknown>((resolve, reject) =>
        policy.connectLookup('rebind.test', { all }, (error: Error | null, address: unknown) => (error ? reject(error) : resolve(address))),
      )
    await expect(lookup(true)).resolves.toEqual([{ address: '93.184.216.34', family: 4 }])
    await expect(lookup(false)).rejects.toMatchObject({ reason: 'destination refused: 127.0.0.1 is loopback' })
    expect(calls).toBe(2)
  })
})

describe('the transport with the guard', () => {
  let server: Server
  let port: number
  let hits = 0
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++
      if (req.url === '/redirect') res.writeHead(302, { location: '/ok' }).end()
      else res.writeHead(200, { connection: 'close' }).end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const request = (url: string) => ({ url, method: 'POST', headers: {}, body: '{}', timeoutMs: 5000, maxResponseBytes: 1000 })

  function sender(policy: EgressPolicy) {
    const transport = createUndiciFetch({ egress: policy })
    return { send: createSender(transport.fetch, transport.Headers, transport.createAbortable), close: () => transport.close() }
  }

  it('refuses a literal loopback address and a name that resolves to it (system DNS: localhost) before any socket opens', async () => {
    const { send, close } = sender(new EgressPolicy())
    const before = hits
    const literal = await send(request(`http://127.0.0.1:${port}/`))
    expect(literal).toMatchObject({ ok: false, status: null, errorKind: 'egress', error: 'destination refused: 127.0.0.1 is loopback' })
    const mapped = await send(request(`http://[::ffff:127.0.0.1]:${port}/`))
    expect(mapped).toMatchObject({ errorKind: 'egress', error: expect.stringMatching(/^destination refused: ::ffff:7f00:1 is loopback/) })
    const named = await send(request(`http://localhost:${port}/`))
    expect(named).toMatchObject({ errorKind: 'egress', error: expect.stringMatching(/^destination refused: (127\.0\.0\.1|::1) is loopback$/) })
    expect(hits).toBe(before)
    await close()
  })

  it('a name resolving to loopback through the lookup hook is refused; allowed, it connects to the checked address', async () => {
    const answers: Record<string, string[]> = { 'internal.test': ['127.0.0.1'] }
    const refused = sender(new EgressPolicy({ lookup: (h) => answers[h] ?? [] }))
    expect(await refused.send(request(`http://internal.test:${port}/`))).toMatchObject({ errorKind: 'egress', error: 'destination refused: 127.0.0.1 is loopback' })
    await refused.close()
    const allowed = sender(new EgressPolicy({ lookup: (h) => answers[h] ?? [], allow: ['127.0.0.1/32'] }))
    const before = hits
    expect(await allowed.send(request(`http://internal.test:${port}/`))).toMatchObject({ ok: true, status: 200 })
    expect(hits).toBe(before + 1)
    await allowed.close()
  })

  it('DNS rebinding: the second connection re-resolves, and a loopback answer outside the allowlist is refused', async () => {
    // 127.0.0.1 plays the public address (allowed); the rebound answer 127.0.0.2 is not allowed.
    let calls = 0
    const { send, close } = sender(new EgressPolicy({ lookup: () => (++calls === 1 ? ['127.0.0.1'] : ['127.0.0.2']), allow: ['127.0.0.1/32'] }))
    const first = await send(request(`http://rebind.test:${port}/`))
    expect(first).toMatchObject({ ok: true })
    // The receiver closed the connection: the next request needs a new one, so a new lookup.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const second = await send(request(`http://rebind.test:${port}/`))
    expect(second).toMatchObject({ ok: false, errorKind: 'egress', error: 'destination refused: 127.0.0.2 is loopback' })
    expect(calls).toBe(2)
    await close()
  })

  it('the check runs per new connection, not per request (keep-alive reuse asks once)', async () => {
    let calls = 0
    let connections = 0
    const keepAlive = createServer((_req, res) => res.writeHead(200).end('ok'))
    keepAlive.on('connection', () => connections++)
    await new Promise<void>((resolve) => keepAlive.listen(0, '127.0.0.1', resolve))
    const kaPort = (keepAlive.address() as AddressInfo).port
    const { send, close } = sender(new EgressPolicy({ lookup: () => (calls++, ['127.0.0.1']), allow: ['127.0.0.1/32'] }))
    for (let i = 0; i < 10; i++) expect(await send(request(`http://pooled.test:${kaPort}/`))).toMatchObject({ ok: true })
    expect(calls).toBe(connections)
    expect(calls).toBeLessThan(10)
    await close()
    keepAlive.closeAllConnections()
    await new Promise((resolve) => keepAlive.close(resolve))
  })

  it('redirects are still not followed', async () => {
    const { send, close } = sender(new EgressPolicy({ allow: ['127.0.0.1/32'] }))
    const before = hits
    expect(await send(request(`http://127.0.0.1:${port}/redirect`))).toMatchObject({ ok: false, status: 302, errorKind: 'http' })
    expect(hits).toBe(before + 1)
    await close()
  })
})
