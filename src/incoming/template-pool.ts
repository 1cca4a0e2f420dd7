import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { sandboxProcessSource } from './sandbox-process-source.js'
import { cleanTemplateMessage } from './sandbox-rules.js'
import { nunjucksCodeFolders, nunjucksEntryPath } from './template-check.js'
import { TemplateError } from './template-error.js'

/** Options of the transform render pool. */
export interface TemplatePoolOptions {
  /**
   * Render processes at once. More lets a slow template not delay others, at the cost of one
   * small Node process (~40 MiB) each, started on demand.
   * @default 2
   */
  processes?: number
  /**
   * Heap limit of each render process, in MiB. A template that needs more fails with a
   * TemplateError and its process is replaced; the host process is untouched.
   * @default 64
   */
  memoryLimitMb?: number
  /** Render processes stop after this long without work, in ms (a restart takes ~0.2 s). @default 30_000 */
  idleTimeoutMs?: number
  /**
   * Renders that may wait for a free process; past that a render fails at once with a
   * TemplateError of status 503 (the sender retries later), so slow templates cannot pile up
   * requests without bound.
   * @default 100
   */
  maxQueued?: number
  /**
   * Longest a render may wait for a free process, in ms; one that waited longer fails with status
   * 503 instead of starting late. Keeps one hook's slow templates from delaying every other hook
   * by more than this.
   * @default 5_000
   */
  maxQueueWaitMs?: number
}

/** One render request. */
export interface RenderJob {
  /** Cache key of the compiled transform, e.g. `ih_1@3` (hook id and version). */
  key: string
  /** The transform: a template string, or an object / array whose string leaves are templates. */
  transform: string | Record<string, unknown> | unknown[]
  /** The payload as JSON text. */
  payload: string
  /** Largest output, in bytes. */
  maxOutputBytes: number
  /** Longest render, in ms (from the moment the process gets the job). */
  timeoutMs: number
}

interface PendingJob extends RenderJob {
  id: number
  /** When it was queued (`performance.now()`). */
  queuedAt: number
  resolve(value: unknown): void
  reject(error: Error): void
}

interface Slot {
  child: ChildProcess
  ready: boolean
  dead: boolean
  /** Jobs sent to (or waiting for) this process, in order: the first is the one it renders now. */
  jobs: PendingJob[]
  /** Jobs assigned to this (started) process but not sent yet: sent together, in one message. */
  unsent: PendingJob[]
  timer: NodeJS.Timeout | null
  /** Started under Node's permission model. */
  confined: boolean
}

type Reply = { ready?: boolean; hardened?: boolean; confined?: boolean; id?: number; ok?: boolean; late?: boolean; value?: unknown; message?: string }

/**
 * Jobs sent ahead to one render process. A process renders one job at a time; sending the next
 * ones before the current answer arrives saves a round trip per render (each job still carries
 * its own timeout, from the previous answer, and its queue deadline, checked by the process).
 */
const PIPELINE_DEPTH = 8

/**
 * Node's permission model for the render process, where this Node has it: the process may read
 * nunjucks' code and nothing else of the file system, write nothing, and start no child process,
 * worker or native addon. A last wall behind the template checks and the sandboxed runtime.
 * (`--permission` since Node 22.13 / 23.5, `--experimental-permission` before; folders are granted
 * both as a prefix and with the `/*` wildcard that Node 20 needs.)
 */
function permissionFlags(): string[] {
  if (permissionArgs !== undefined) return permissionArgs
  const flags = process.allowedNodeEnvironmentFlags
  const flag = flags.has('--permission') ? '--permission' : flags.has('--experimental-permission') ? '--experimental-permission' : null
  // Node 20 grants a folder's files with `<folder>/*` (and aborts on the same folder given twice);
  // later versions take the folder itself as a prefix.
  const wildcard = Number(process.versions.node.split('.')[0]) < 22
  permissionArgs =
    flag === null ? [] : [flag, ...nunjucksCodeFolders().map((folder) => `--allow-fs-read=${wildcard ? join(folder, '*') : folder}`)]
  return permissionArgs
}
let permissionArgs: string[] | undefined

/**
 * A render process started with the permission flags died before it was ready: this Node does not
 * take them as given. Later processes start without them (the other walls still stand).
 */
function dropPermissionFlags(): void {
  permissionArgs = []
}

/** Longest a new process may take to load nunjucks and report ready, in ms. */
const STARTUP_TIMEOUT_MS = 15_000

/**
 * Renders transforms in separate Node processes, which bounds what a template can cost, whatever
 * it does:
 * - time: each job has a wall-clock timeout; a process that runs over is killed (SIGKILL), so a
 *   runaway loop or a catastrophic regex stops;
 * - memory: each process has a V8 heap limit (`--max-old-space-size`); an allocation bomb — even
 *   one that hits a V8 *fatal* error, which would abort a whole process and so cannot be contained
 *   by a worker thread — ends that process only;
 * - code: the processes run with `--disallow-code-generation-from-strings`, so `Function` / `eval`
 *   throw even if a template reached them;
 * - the host's event loop never waits on a render.
 *
 * Processes start on demand, inherit no environment variables (no `NODE_OPTIONS`, no secrets),
 * are unref'd while idle (they never keep the host alive), exit when the host goes away and stop
 * after `idleTimeoutMs` without work.
 */
export class TemplateRenderPool {
  readonly #size: number
  readonly #memoryLimitMb: number
  readonly #idleTimeoutMs: number
  readonly #maxQueued: number
  readonly #maxQueueWaitMs: number
  readonly #slots: Slot[] = []
  readonly #queue: PendingJob[] = []
  #nextId = 1
  #idleTimer: NodeJS.Timeout | null = null
  /** A send of the jobs assigned in this tick is scheduled (see {@link TemplateRenderPool.#flushAll}). */
  #flushScheduled = false
  #closed = false
  #source: string | undefined

  constructor(options: TemplatePoolOptions = {}) {
    this.#size = Math.max(1, Math.floor(options.processes ?? 2))
    this.#memoryLimitMb = Math.max(16, Math.floor(options.memoryLimitMb ?? 64))
    this.#idleTimeoutMs = Math.max(0, options.idleTimeoutMs ?? 30_000)
    this.#maxQueued = Math.max(0, Math.floor(options.maxQueued ?? 100))
    this.#maxQueueWaitMs = Math.max(0, options.maxQueueWaitMs ?? 5_000)
  }

  /** Renders one job. Rejects with a TemplateError when the template fails or exceeds a limit. */
  render(job: RenderJob): Promise<unknown> {
    if (this.#closed) return Promise.reject(new TemplateError('the template renderer is closed'))
    if (this.#waiting() >= this.#maxQueued && this.#slots.length >= this.#size && this.#slots.every((slot) => slot.jobs.length > 0)) {
      return Promise.reject(new TemplateError(`too many transforms waiting (${this.#maxQueued}); try again later`, { status: 503 }))
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({
        key: job.key,
        transform: job.transform,
        payload: job.payload,
        maxOutputBytes: job.maxOutputBytes,
        timeoutMs: job.timeoutMs,
        id: this.#nextId++,
        queuedAt: performance.now(),
        resolve,
        reject,
      })
      this.#pump()
    })
  }

  /** Jobs not being rendered yet: queued here, or sent ahead to a process behind its current job. */
  #waiting(): number {
    let waiting = this.#queue.length
    for (const slot of this.#slots) waiting += Math.max(0, slot.jobs.length - 1)
    return waiting
  }

  /** Render processes currently running. */
  get processes(): number {
    return this.#slots.length
  }

  /** Stops every render process; queued and running jobs reject. */
  async close(): Promise<void> {
    this.#closed = true
    if (this.#idleTimer) clearTimeout(this.#idleTimer)
    this.#idleTimer = null
    for (const job of this.#queue.splice(0)) job.reject(new TemplateError('the template renderer is closed'))
    for (const slot of this.#slots.slice()) this.#kill(slot, new TemplateError('the template renderer is closed'))
  }

  #pump(): void {
    if (this.#idleTimer) {
      clearTimeout(this.#idleTimer)
      this.#idleTimer = null
    }
    while (this.#queue.length > 0) {
      // Checked before a process is spawned for it: the spawn (synchronous, milliseconds on a loaded
      // machine) is the pool's own work, not time the job waited for a free process.
      if (performance.now() - this.#queue[0]!.queuedAt > this.#maxQueueWaitMs) {
        this.#queue.shift()!.reject(this.#lateError())
        continue
      }
      let slot = this.#slots.find((s) => s.jobs.length === 0 && !s.dead)
      if (slot === undefined && this.#slots.length < this.#size) slot = this.#spawn()
      // Every process busy: send ahead to the least loaded one with room.
      slot ??= this.#slots.reduce<Slot | undefined>((best, s) => (!s.dead && s.jobs.length < PIPELINE_DEPTH && (best === undefined || s.jobs.length < best.jobs.length) ? s : best), undefined)
      if (slot === undefined) break
      this.#assign(slot, this.#queue.shift() as PendingJob)
    }
    this.#scheduleFlush()
    if (this.#queue.length === 0 && this.#slots.length > 0 && this.#slots.every((s) => s.jobs.length === 0)) {
      this.#idleTimer = setTimeout(() => {
        this.#idleTimer = null
        for (const slot of this.#slots.slice()) if (slot.jobs.length === 0) this.#kill(slot, null)
      }, this.#idleTimeoutMs)
      this.#idleTimer.unref()
    }
  }

  #spawn(): Slot {
    this.#source ??= sandboxProcessSource()
    const env: Record<string, string> = { HOOKLINE_NUNJUCKS: nunjucksEntryPath() }
    // Windows needs SystemRoot to start; nothing else of the host's environment is passed on.
    const systemRoot = process.env.SYSTEMROOT ?? process.env.SystemRoot
    if (systemRoot !== undefined) env.SYSTEMROOT = systemRoot
    const semiSpaceMb = Math.max(1, Math.floor(this.#memoryLimitMb / 16))
    const child = spawn(
      process.execPath,
      [
        ...permissionFlags(),
        '--disallow-code-generation-from-strings',
        `--max-old-space-size=${this.#memoryLimitMb}`,
        `--max-semi-space-size=${semiSpaceMb}`,
        '-e',
        this.#source,
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env, windowsHide: true },
    )
    const slot: Slot = { child, ready: false, dead: false, jobs: [], unsent: [], timer: null, confined: permissionFlags().length > 0 }
    this.#setRef(slot, false)
    child.on('message', (message: Reply) => this.#onMessage(slot, message))
    child.on('error', (error) => this.#kill(slot, new TemplateError(`transform process failed: ${error.message}`, { cause: error })))
    child.on('exit', (code, signal) => {
      if (slot.confined && !slot.ready && !slot.dead) {
        dropPermissionFlags()
        this.#queue.unshift(...slot.jobs.splice(0))
        this.#kill(slot, null)
        return
      }
      this.#kill(
        slot,
        new TemplateError(
          `transform process died (${signal ?? `exit code ${String(code)}`}): the template exceeded the ${this.#memoryLimitMb} MiB memory limit or a V8 size limit`,
        ),
      )
    })
    this.#slots.push(slot)
    return slot
  }

  #onMessage(slot: Slot, message: Reply): void {
    if (slot.dead) return
    if (message.ready === true) {
      if (message.hardened !== true || (slot.confined && message.confined !== true)) {
        this.#kill(slot, new TemplateError('transform process refused: code generation from strings, child processes or file writes are not disabled in it'))
        return
      }
      slot.ready = true
      if (slot.timer) clearTimeout(slot.timer)
      slot.timer = null
      slot.unsent = slot.jobs.slice()
      this.#flush(slot)
      this.#timeHead(slot)
      return
    }
    const job = slot.jobs[0]
    if (job === undefined || message.id !== job.id) return
    if (slot.timer) clearTimeout(slot.timer)
    slot.timer = null
    slot.jobs.shift()
    // The process starts on the next job at once: its timeout runs from now.
    this.#timeHead(slot)
    if (slot.jobs.length === 0) this.#setRef(slot, false)
    if (message.ok === true) job.resolve(message.value)
    else if (message.late === true) job.reject(this.#lateError())
    else job.reject(new TemplateError(`transform failed: ${cleanTemplateMessage(message.message ?? 'unknown error')}`))
    this.#pump()
  }

  #lateError(): TemplateError {
    return new TemplateError(`transform waited more than ${this.#maxQueueWaitMs} ms for a free render process; try again later`, { status: 503 })
  }

  #assign(slot: Slot, job: PendingJob): void {
    slot.jobs.push(job)
    if (slot.jobs.length === 1) this.#setRef(slot, true)
    if (slot.ready) {
      slot.unsent.push(job)
      if (slot.jobs.length === 1) this.#timeHead(slot)
    } else if (slot.timer === null) {
      slot.timer = setTimeout(() => this.#kill(slot, new TemplateError('transform process did not start in time')), STARTUP_TIMEOUT_MS)
      slot.timer.unref()
    }
  }

  /** Arms the timeout of the job the process renders now (the first of its jobs), if any. */
  #timeHead(slot: Slot): void {
    const job = slot.jobs[0]
    if (job === undefined) return
    slot.timer = setTimeout(
      () => this.#kill(slot, new TemplateError(`transform took longer than ${job.timeoutMs} ms and was stopped`)),
      job.timeoutMs,
    )
    slot.timer.unref()
  }

  /**
   * Sends what was assigned once the current tick is over: the answers a process sends back arrive
   * several per read, and each frees room for a job, so the jobs they make room for go out in one
   * message (one write) instead of one message each.
   */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    queueMicrotask(this.#flushAll)
  }

  readonly #flushAll = (): void => {
    this.#flushScheduled = false
    for (const slot of this.#slots) this.#flush(slot)
  }

  /** Sends the jobs assigned to a started process since the last send, in one message. */
  #flush(slot: Slot): void {
    if (slot.unsent.length === 0 || slot.dead) return
    const head = slot.jobs[0]
    const jobs = slot.unsent.splice(0).map((job) => ({
      id: job.id,
      key: job.key,
      transform: job.transform,
      payload: job.payload,
      maxOutputBytes: job.maxOutputBytes,
      // A job sent ahead, behind another, carries the deadline of its queue wait (on the wall
      // clock the process shares with this one); the job the process starts on at once does not.
      notAfter: job === head ? undefined : Date.now() + Math.max(0, this.#maxQueueWaitMs - (performance.now() - job.queuedAt)),
    }))
    slot.child.send(jobs.length === 1 ? jobs[0]! : { jobs }, (error) => {
      if (error) this.#kill(slot, new TemplateError(`transform process unreachable: ${error.message}`, { cause: error }))
    })
  }

  /** While a job runs the process keeps the host alive (an awaited render must finish); idle, it does not. */
  #setRef(slot: Slot, busy: boolean): void {
    const channel = slot.child.channel as { ref?: () => void; unref?: () => void } | null | undefined
    if (busy) {
      slot.child.ref()
      channel?.ref?.()
    } else {
      slot.child.unref()
      channel?.unref?.()
    }
  }

  /** Removes a process; its job (if any) rejects with `error`. Other jobs carry on in a fresh process. */
  #kill(slot: Slot, error: TemplateError | null): void {
    if (slot.dead) return
    slot.dead = true
    if (slot.timer) clearTimeout(slot.timer)
    slot.timer = null
    const index = this.#slots.indexOf(slot)
    if (index >= 0) this.#slots.splice(index, 1)
    slot.unsent = []
    const [job, ...behind] = slot.jobs.splice(0)
    if (slot.child.exitCode === null && slot.child.signalCode === null) slot.child.kill('SIGKILL')
    if (job) job.reject(error ?? new TemplateError('transform process stopped'))
    // The jobs sent ahead never started: they go back to the front of the queue, in order (and
    // fail with 503 there if they have waited too long), unless the pool is closing.
    if (this.#closed) for (const waiting of behind) waiting.reject(error ?? new TemplateError('the template renderer is closed'))
    else this.#queue.unshift(...behind)
    if (!this.#closed) this.#pump()
  }
}
