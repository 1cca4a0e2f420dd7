import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildConsoleAssets } from '../../scripts/build-console.js'

// Real-browser tests drive Debian's chromium through playwright-core (no browser download).
const CANDIDATES = [process.env.HOOKLINE_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(
  (p): p is string => typeof p === 'string' && p !== '',
)

/** Path of the Chromium the browser tests use, or null. */
export const chromiumPath = CANDIDATES.find((p) => existsSync(p)) ?? null

if (chromiumPath === null) {
  // In CI a missing browser is a broken build, not a reason to skip.
  if (process.env.CI === 'true') throw new Error(`[hookline] Chromium is required in CI (looked for ${CANDIDATES.join(', ')}; set HOOKLINE_TEST_CHROMIUM)`)
  console.warn(`[hookline] browser tests skipped: no Chromium at ${CANDIDATES.join(', ')} (set HOOKLINE_TEST_CHROMIUM)`)
}

/** True when a browser was found; suites use `describe.skipIf(!browserAvailable)`. */
export const browserAvailable = chromiumPath !== null

/** Launches headless Chromium (playwright gives every launch a fresh temporary profile). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath!,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
  })
}

/** Builds the console assets once into a temporary folder; returns it. */
export async function buildAssets(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hookline-console-assets-'))
  await buildConsoleAssets(dir)
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** Problems a page reported: CSP violations, console errors, uncaught exceptions. */
export interface PageProblems {
  list: string[]
}

/** Records CSP violations, console errors and page errors of `page`. */
export async function watchProblems(page: Page): Promise<PageProblems> {
  const problems: PageProblems = { list: [] }
  await page.exposeFunction('__hooklineCspViolation', (text: string) => problems.list.push(`CSP: ${text}`))
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      ;(window as unknown as { __hooklineCspViolation(t: string): void }).__hooklineCspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`)
    })
  })
  page.on('console', (m) => {
    if (m.type() === 'error') problems.list.push(`console.error: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.list.push(`pageerror: ${e.message}`))
  return problems
}
