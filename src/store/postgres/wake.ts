import type { PgListeningClient, PgQueryConfig } from './driver.js'

/** A dedicated connection and how to let it go. */
export interface ListenConnection {
  /** The connected client. */
  client: PgListeningClient
  /** Closes (or destroys) the connection. */
  dispose(): Promise<void>
}

/** Options of {@link createWakeListener}. */
export interface WakeListenerOptions {
  /** Opens a dedicated connection (never a pooled one that is handed back). */
  connect: () => Promise<ListenConnection>
  /** Channel to LISTEN on. */
  channel: string
  /** The `LISTEN "<channel>"` statement. */
  listen: PgQueryConfig
  /** First reconnect delay in ms; doubles per failure. @default 100 */
  minReconnectDelayMs?: number
  /** Longest reconnect delay in ms. @default 5000 */
  maxReconnectDelayMs?: number
}

/** Fan-out of Postgres NOTIFY wake-ups to in-process listeners over one dedicated connection. */
export interface WakeListener {
  /** Adds a listener; the connection opens with the first one and closes with the last. */
  subscribe(listener: () => void): () => void
  /** Stops listening and closes the connection. */
  close(): Promise<void>
}

/**
 * LISTENs on `channel` while there are subscribers. When the connection drops it reconnects with
 * a capped exponential delay; after every (re)connect the listeners are called once, since a
 * notification sent while the connection was down is lost and the worker should look for work.
 */
export function createWakeListener(options: WakeListenerOptions): WakeListener {
  const listeners = new Set<() => void>()
  const minDelay = options.minReconnectDelayMs ?? 100
  const maxDelay = options.maxReconnectDelayMs ?? 5000
  let connection: ListenConnection | null = null
  let connecting: Promise<void> | null = null
  let timer: NodeJS.Timeout | null = null
  let failures = 0
  // Bumped on every stop so a connect that finishes after a stop knows to give its connection back.
  let generation = 0

  const wake = (): void => {
    for (const listener of Array.from(listeners)) {
      try {
        listener()
      } catch {
        // A listener's own failure must not break the fan-out or the connection.
      }
    }
  }

  const dropConnection = (): void => {
    const current = connection
    connection = null
    if (current) {
      current.client.removeAllListeners('notification')
      current.client.removeAllListeners('end')
      // keep an 'error' listener: a late error on a dying socket must not crash the process
      void current.dispose().catch(() => {})
    }
  }

  const scheduleReconnect = (): void => {
    if (listeners.size === 0 || timer !== null) return
    const delay = Math.min(maxDelay, minDelay * 2 ** Math.min(failures, 16))
    failures++
    timer = setTimeout(() => {
      timer = null
      start()
    }, delay)
    timer.unref()
  }

  const onLost = (): void => {
    dropConnection()
    scheduleReconnect()
  }

  const open = async (gen: number): Promise<void> => {
    let opened: ListenConnection | null = null
    try {
      opened = await options.connect()
      opened.client.on('error', () => onLostIf(opened))
      opened.client.on('end', () => onLostIf(opened))
      opened.client.on('notification', (message) => {
        if (message.channel === options.channel) wake()
      })
      await opened.client.query(options.listen)
    } catch {
      if (opened) void opened.dispose().catch(() => {})
      if (gen === generation) scheduleReconnect()
      return
    }
    if (gen !== generation || listeners.size === 0) {
      opened.client.removeAllListeners('notification')
      void opened.dispose().catch(() => {})
      return
    }
    connection = opened
    failures = 0
    wake()
  }

  const onLostIf = (which: ListenConnection | null): void => {
    if (which !== null && which === connection) onLost()
  }

  const start = (): void => {
    if (connection || connecting || listeners.size === 0) return
    const gen = generation
    connecting = open(gen).finally(() => {
      connecting = null
      // Subscribed again while a connect of a stopped generation was still under way.
      if (gen !== generation) start()
    })
  }

  const stop = async (): Promise<void> => {
    generation++
    if (timer) clearTimeout(timer)
    timer = null
    failures = 0
    dropConnection()
    await connecting
  }

  return {
    subscribe(listener) {
      // Wrap so the same function can subscribe twice and unsubscribe each independently.
      const entry = (): void => listener()
      listeners.add(entry)
      start()
      let active = true
      return () => {
        if (!active) return
        active = false
        listeners.delete(entry)
        if (listeners.size === 0) void stop()
      }
    },
    async close() {
      listeners.clear()
      await stop()
    },
  }
}

/** Options of {@link createWakeNotifier}. */
export interface WakeNotifierOptions {
  /** Sends one NOTIFY (its own statement, committed when it resolves). */
  send: () => Promise<unknown>
  /** Least time between two NOTIFYs, in ms. @default 10 */
  intervalMs?: number
  /**
   * Least time between two NOTIFYs while signals keep coming (a stream of enqueues), in ms: each
   * NOTIFY that had to wait for the interval doubles it, up to this; a signal after a quiet spell
   * of twice the interval sends at once and sets it back to `intervalMs`. @default 50
   */
  maxIntervalMs?: number
  /** Monotonic time in ms. @default performance.now */
  now?: () => number
}

/** Coalesced NOTIFY after committed enqueues. */
export interface WakeNotifier {
  /** Called after a commit that added deliveries: a NOTIFY follows, at most `intervalMs` later. */
  signal(): void
  /** Sends a NOTIFY still scheduled, waits for those in flight, and stops. */
  close(): Promise<void>
}

/**
 * Wakes other processes' workers after enqueues committed outside a host transaction, with at
 * most one NOTIFY per interval however many enqueues commit: `intervalMs` after a quiet spell,
 * growing to `maxIntervalMs` while enqueues stream in (every NOTIFY costs the notifying statement
 * and wakes every listening worker, which then claims; under a stream, fewer wake-ups mean fewer,
 * larger claims, and a busy worker claims again by itself when its deliveries finish). Each
 * NOTIFY is sent after the commits it covers (a signal never joins a NOTIFY already sent: it
 * schedules the next one), so a woken worker sees their rows. A failed NOTIFY is ignored: workers
 * also poll.
 */
export function createWakeNotifier(options: WakeNotifierOptions): WakeNotifier {
  const intervalMs = options.intervalMs ?? 10
  const maxIntervalMs = Math.max(intervalMs, options.maxIntervalMs ?? 50)
  const now = options.now ?? (() => performance.now())
  let lastSentAt = -Infinity
  let gap = intervalMs
  let timer: NodeJS.Timeout | null = null
  let closed = false
  const inFlight = new Set<Promise<unknown>>()

  /** A NOTIFY that waited for the interval: signals are streaming in, so the next one waits longer. */
  const sendLater = (): void => {
    gap = Math.min(maxIntervalMs, gap * 2)
    send()
  }

  const send = (): void => {
    timer = null
    lastSentAt = now()
    const sent = options.send().catch(() => {})
    inFlight.add(sent)
    void sent.finally(() => inFlight.delete(sent))
  }

  return {
    signal() {
      if (closed || timer !== null) return
      const at = now()
      // Quiet for twice the interval: the stream (if any) is over, back to the shortest interval.
      if (at - lastSentAt >= 2 * gap) gap = intervalMs
      const wait = lastSentAt + gap - at
      if (wait <= 0) send()
      else timer = setTimeout(sendLater, wait)
    },
    async close() {
      closed = true
      if (timer !== null) {
        clearTimeout(timer)
        send()
      }
      await Promise.allSettled([...inFlight])
    },
  }
}
