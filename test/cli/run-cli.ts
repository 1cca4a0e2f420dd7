import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { childEntry } from '../helpers/child-entry.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The time limit of a test that runs the CLI several times. Each run is a new Node process (about
 * 0.4 s of CPU to start and open the database), which takes seconds on a loaded core while other
 * test files build or run their own processes: a ceiling for a stuck test, never a speed check.
 */
export const CLI_TEST_TIMEOUT_MS = 240_000

/** What a CLI run printed and how it exited. */
export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `hookline` as a user would, in a child process (`node <bundle>/cli.js …`, the CLI bundled once by the global setup),
 * with a clean colour environment unless `env` says otherwise, `input` piped to its stdin. Killed after `timeoutMs`.
 */
export function runCli(args: string[], options: { env?: Record<string, string | undefined>; timeoutMs?: number; input?: string } = {}): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, HOOKLINE_DB: undefined, HOOKLINE_CONFIG: undefined, HOOKLINE_EGRESS_ALLOW: undefined, HOOKLINE_EGRESS_ALLOW_PRIVATE: undefined, ...options.env }
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childEntry('cli'), ...args], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    if (options.input !== undefined) child.stdin!.end(options.input)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`hookline ${args.join(' ')} did not exit within ${options.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, options.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Parses the JSON a `--json` run printed, with the output in the error when it is not JSON. */
export function json<T = any>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\nstdout: ${run.stdout}\nstderr: ${run.stderr}`)
  }
}
