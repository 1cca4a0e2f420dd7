// Regenerates the console screenshots of docs/console.md from the demo of examples/console.ts:
//   npm run docs:screenshots
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { startConsoleDemo } from '../examples/console-demo.js'
import { buildConsoleAssets } from './build-console.js'

const OUT = 'docs/images'
const executablePath = process.env.HOOKLINE_TEST_CHROMIUM ?? '/usr/bin/chromium'

const tmp = await mkdtemp(join(tmpdir(), 'hookline-shots-'))
await buildConsoleAssets(join(tmp, 'assets'))
const demo = await startConsoleDemo({ filename: join(tmp, 'demo.db'), assetsDir: join(tmp, 'assets'), live: false })
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
})
try {
  await mkdir(OUT, { recursive: true })
  const endpoints = await demo.manager.listEndpoints()
  const byName = (name: string) => endpoints.find((e) => e.name === name)!
  const flaky = byName('Accounting (flaky)')
  const [failed] = await demo.manager.listDeliveries(flaky.id, { status: ['failed', 'dead', 'succeeded'] })
  const withRetries = (await demo.manager.listDeliveries(flaky.id, { limit: 200 })).find((d) => d.attempts > 1) ?? failed!

  const shoot = async (name: string, route: string, options: { width?: number; height?: number; dark?: boolean; url?: string; waitFor?: string; range?: string } = {}) => {
    const page = await browser.newPage({ viewport: { width: options.width ?? 1200, height: options.height ?? 820 }, colorScheme: options.dark ? 'dark' : 'light' })
    await page.goto(options.url ?? `${demo.url}#${route}`)
    if (options.range) await page.getByLabel('Range').selectOption(options.range)
    await page.locator(options.waitFor ?? 'main h2').first().waitFor()
    await page.waitForLoadState('networkidle')
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(OUT, `${name}.png`) })
    await page.close()
    console.log(`${OUT}/${name}.png`)
  }
  await shoot('console-endpoints', '/endpoints', { height: 560, waitFor: 'table' })
  await shoot('console-endpoint', `/endpoints/${flaky.id}`, { height: 1100, waitFor: '.u-over', range: '6' })
  await shoot('console-delivery', `/endpoints/${flaky.id}/deliveries/${withRetries.id}`, { height: 900, waitFor: '[data-testid=attempts]' })
  await shoot('console-events-dark', '/events', { height: 620, dark: true, waitFor: '.catalog' })
  const portal = demo.manager.portalLink({ owner: 'acme', expiresIn: 3_600_000, url: demo.url })
  await shoot('console-portal-phone', '', { width: 390, height: 780, url: portal.url, waitFor: 'table' })
} finally {
  await browser.close()
  await demo.close()
  await rm(tmp, { recursive: true, force: true })
}
