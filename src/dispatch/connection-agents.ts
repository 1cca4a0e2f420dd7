import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import { rootCertificates } from 'node:tls'
import type { Agent, buildConnector, Dispatcher, Pool, ProxyAgent } from 'undici'
import type { EndpointTls } from '../types.js'
import type { EgressPolicy } from './egress-guard.js'
import { undici } from './undici-module.js'

/** How one endpoint's connections are made: mutual TLS and an egress proxy. */
export interface ConnectionSettings {
  /** Client certificate and key (PEM) presented to the receiver, and extra CA certificates (PEM) to trust. */
  tls: EndpointTls | null
  /** `http://` or `https://` CONNECT proxy URL, credentials in its user-info. */
  proxy: string | null
}

/** Connection options shared by every agent of a transport. */
export interface AgentOptions {
  keepAliveTimeout: number
  connections: number | null
  connectTimeoutMs: number
  egress: EgressPolicy | null
}

/** Most distinct TLS / proxy configurations kept open at once; the least recently used is closed beyond. */
const MAX_AGENTS = 256

/**
 * The undici dispatchers of one transport: the default agent, and one per distinct TLS / proxy
 * configuration (an `Agent` with the client certificate in its connect options, or a `ProxyAgent`),
 * created on first use, kept (bounded, least recently used closed first) and all closed by `close()`.
 * Every one of them runs the egress guard on the final destination; a proxy itself is the
 * operator's, so it is not checked.
 */
export class ConnectionAgents {
  readonly #options: AgentOptions
  readonly #default: Dispatcher
  readonly #agents = new Map<string, Dispatcher>()
  readonly #closing = new Set<Promise<void>>()

  constructor(options: AgentOptions) {
    this.#options = options
    this.#default = this.#createAgent(null)
  }

  /** Distinct configurations with an agent of their own right now. */
  get size(): number {
    return this.#agents.size
  }

  /** The dispatcher for these settings (the default one when there are none). */
  get(settings: ConnectionSettings | null | undefined): Dispatcher {
    if (!settings || (!settings.tls && !settings.proxy)) return this.#default
    const key = settingsKey(settings)
    let agent = this.#agents.get(key)
    if (agent) {
      // Most recently used last.
      this.#agents.delete(key)
      this.#agents.set(key, agent)
      return agent
    }
    agent = settings.proxy ? this.#createProxyAgent(settings.proxy, settings.tls) : this.#createAgent(settings.tls)
    if (this.#agents.size >= MAX_AGENTS) {
      const [oldestKey, oldest] = this.#agents.entries().next().value!
      this.#agents.delete(oldestKey)
      this.#retire(oldest)
    }
    this.#agents.set(key, agent)
    return agent
  }

  /** Closes every agent (idle connections at once, busy ones when their request ends). */
  async close(): Promise<void> {
    const all = [this.#default, ...this.#agents.values()]
    this.#agents.clear()
    await Promise.all([...all.map((a) => a.close()), ...this.#closing])
  }

  #retire(agent: Dispatcher): void {
    const closing = agent.close().catch(() => {})
    this.#closing.add(closing)
    void closing.finally(() => this.#closing.delete(closing))
  }

  #createAgent(tls: ConnectionSettings['tls']): Agent {
    const { keepAliveTimeout, connections, connectTimeoutMs, egress } = this.#options
    const connectOptions = { timeout: connectTimeoutMs, ...tlsOptions(tls) }
    return new (undici().Agent)({
      keepAliveTimeout,
      connections,
      connect: egress ? guardedConnector(egress, connectOptions) : connectOptions,
    })
  }

  /**
   * A `ProxyAgent` whose tunnels go to the checked address: its `factory` wraps the tunnel connect
   * so the guard resolves the destination first and the proxy is asked to CONNECT to the address
   * checked (not to a name it would resolve again); TLS to the receiver (with the client
   * certificate, SNI and certificate check on the endpoint's host name) is then set up here, inside
   * the tunnel.
   */
  #createProxyAgent(proxy: string, tls: ConnectionSettings['tls']): ProxyAgent {
    const { keepAliveTimeout, connections, connectTimeoutMs, egress } = this.#options
    const upgrade = undici().buildConnector({ timeout: connectTimeoutMs, ...tlsOptions(tls) })
    return new (undici().ProxyAgent)({
      uri: proxy,
      keepAliveTimeout,
      connections,
      factory: (origin, options) => {
        const tunnel = (options as { connect: buildConnector.connector }).connect
        return new (undici().Pool)(origin, { ...options, connect: tunnelThroughGuard(tunnel, upgrade, egress) } as Pool.Options)
      },
    })
  }
}

/**
 * The connect function of a proxied pool: resolve and check the destination (when guarded), ask
 * the proxy's tunnel connect for a plain tunnel to the checked address, then upgrade it to TLS
 * for an https destination.
 */
function tunnelThroughGuard(tunnel: buildConnector.connector, upgrade: buildConnector.connector, egress: EgressPolicy | null): buildConnector.connector {
  return (opts, callback) => {
    const https = opts.protocol === 'https:'
    const port = opts.port || (https ? '443' : '80')
    const name = opts.hostname
    const servername = opts.servername || (isIP(name) === 0 ? name : undefined)
    const target = egress ? egress.resolve(name).then((addresses) => addresses[0]!) : Promise.resolve(name)
    target.then(
      (address) => {
        const host = isIP(address) === 6 ? `[${address}]` : address
        // `protocol: 'http:'` makes the proxy agent hand back the raw tunnel; TLS is ours.
        tunnel({ ...opts, protocol: 'http:', hostname: address, host: `${host}:${port}`, port }, (error, socket) => {
          if (error || !socket) return callback(error ?? new Error('proxy tunnel failed'), null)
          if (!https) return callback(null, socket)
          upgrade({ ...opts, hostname: address, port, servername: servername ?? null, httpSocket: socket } as buildConnector.Options, callback)
        })
      },
      (error: Error) => callback(error, null),
    )
  }
}

/**
 * An undici connector that asks the egress guard before any socket opens, once per new connection
 * (keep-alive connections are reused without a second look). A host name is resolved by the
 * guard's `lookup` hook of `net.connect`, which checks every address and hands the socket only
 * those: what is checked is what is connected to. An address literal never reaches a lookup, so it
 * is checked here.
 */
export function guardedConnector(egress: EgressPolicy, connectOptions: buildConnector.BuildOptions): buildConnector.connector {
  const connect = undici().buildConnector({ ...connectOptions, lookup: egress.connectLookup } as buildConnector.BuildOptions)
  return (opts, callback) => {
    if (isIP(opts.hostname) !== 0 && !egress.allowsHost(opts.hostname)) {
      const refused = egress.refusal(opts.hostname)
      if (refused) return queueMicrotask(() => callback(refused, null))
    }
    return connect(opts, callback)
  }
}

/** TLS connect options of an endpoint: its client certificate, and its CA bundle added to Node's roots. */
function tlsOptions(tls: ConnectionSettings['tls']): { cert?: string; key?: string; passphrase?: string; ca?: string[] } {
  if (!tls) return {}
  return {
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
    ...(tls.ca ? { ca: [...rootCertificates, tls.ca] } : {}),
  }
}

/** A digest of the settings, so the cache key holds no key material. */
function settingsKey(settings: ConnectionSettings): string {
  return createHash('sha256')
    .update(JSON.stringify([settings.tls?.cert ?? null, settings.tls?.key ?? null, settings.tls?.passphrase ?? null, settings.tls?.ca ?? null, settings.proxy ?? null]))
    .digest('hex')
}
