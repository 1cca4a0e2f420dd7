import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import * as v from 'valibot'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConsoleHandler, createWebhookManager, type WebhookManager } from '../../src/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { serve, type TestServer } from '../management/helpers.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { browserAvailable, buildAssets, launchBrowser, watchProblems, type PageProblems } from './browser.js'
import { allowLoopback } from '../helpers/egress.js'

// The console in a real browser, on a SQLite store: the operator's flows, then a tenant portal link.
describe.skipIf(!browserAvailable)('console in Chromium (SQLite store)', { timeout: 60_000 }, () => {
  let dir: string
  let assets: Awaited<ReturnType<typeof buildAssets>>
  let manager: WebhookManager
  let receiver: Receiver
  let server: TestServer
  let browser: Browser
  let page: Page
  let problems: PageProblems

  beforeAll(async () => {
    ;[assets, receiver, browser] = await Promise.all([buildAssets(), startReceiver(), launchBrowser()])
    dir = await mkdtemp(join(tmpdir(), 'hookline-console-'))
    manager = createWebhookManager({
      egress: allowLoopback,
      store: sqliteStore({ filename: join(dir, 'console.db') }),
      pollIntervalMs: 50,
      retryPolicy: { maxAttempts: 3, initialDelayMs: 60_000, jitter: 0 },
    })
    manager.registerEventType('order.paid', { description: 'An order was paid.', schema: v.object({ orderId: v.string() }) })
    await manager.start()
    server = await serve(createConsoleHandler(manager, { authorize: () => true, assetsDir: assets.dir }))
    page = await browser.newPage()
    problems = await watchProblems(page)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await manager?.close()
    await receiver?.close()
    await assets?.remove()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('creates an endpoint through the form, with the API validation messages first', async () => {
    await page.goto(`${server.url}/console/`)
    await page.getByRole('link', { name: 'New endpoint' }).click()
    await page.getByLabel('URL').fill('ftp://nowhere')
    await page.getByLabel('Events').fill('order.paid')
    await page.getByRole('button', { name: 'Create endpoint' }).click()
    // The API's message appears beside the field it names.
    await expect.poll(() => page.locator('#ep-url-error').textContent()).toMatch(/http/i)
    // Chromium logs every 4xx answer to a fetch; this one was asked for.
    expect(problems.list).toEqual(['console.error: Failed to load resource: the server responded with a status of 400 (Bad Request)'])
    problems.list.length = 0
    await page.getByLabel('URL').fill(`${receiver.url}/orders`)
    await page.getByLabel('Name').fill('Orders receiver')
    await page.getByRole('button', { name: 'Create endpoint' }).click()
    await page.getByLabel('Signing secret').waitFor()
    expect((await page.getByLabel('Signing secret').inputValue()).length).toBeGreaterThanOrEqual(32)
    const [endpoint] = await manager.listEndpoints()
    expect(endpoint).toMatchObject({ name: 'Orders receiver', url: `${receiver.url}/orders`, events: ['order.paid'] })
    await page.getByRole('link', { name: 'Open Orders receiver' }).click()
    await page.getByRole('heading', { name: 'Orders receiver' }).waitFor()
  })

  it('shows a delivery appear, opens its attempts and retries it', async () => {
    receiver.respond(() => ({ status: 503, body: 'busy, try later' }))
    await manager.emit('order.paid', { orderId: 'o_1' })
    const row = page.getByTestId('deliveries').getByRole('row').nth(1)
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toMatch(/failed/)
    await row.getByRole('link').click()
    const attempts = page.getByTestId('attempts')
    await attempts.waitFor()
    expect(await attempts.textContent()).toContain('503')
    expect(await attempts.textContent()).toContain('busy, try later')
    expect(await attempts.textContent()).toMatch(/x-webhook-signature/i)
    receiver.respond(() => ({ status: 200, body: 'thanks' }))
    await page.getByRole('button', { name: 'Retry now' }).click()
    await expect.poll(() => page.getByTestId('attempt-count').textContent(), { timeout: 15_000 }).toBe('2')
    await expect.poll(() => attempts.textContent(), { timeout: 15_000 }).toContain('thanks')
    expect(await page.locator('.badge').first().textContent()).toBe('succeeded')
  })

  it('pauses and resumes the endpoint', async () => {
    const [endpoint] = await manager.listEndpoints()
    await page.goto(`${server.url}/console/#/endpoints/${endpoint!.id}`)
    await page.getByRole('button', { name: 'Pause' }).click()
    await page.getByRole('button', { name: 'Resume' }).waitFor()
    expect((await manager.getEndpoint(endpoint!.id)).status).toBe('paused')
    await page.getByRole('button', { name: 'Resume' }).click()
    await page.getByRole('button', { name: 'Pause' }).waitFor()
    expect((await manager.getEndpoint(endpoint!.id)).status).toBe('active')
  })

  it('rotates the secret and shows until when the old one keeps signing', async () => {
    await page.getByRole('button', { name: 'Rotate secret' }).click()
    await page.getByTestId('overlap-until').waitFor()
    const [endpoint] = await manager.listEndpoints()
    expect(endpoint!.previousSecretExpiresAt).not.toBeNull()
    expect((await page.getByTestId('rotated-secret').textContent())!.length).toBeGreaterThanOrEqual(32)
  })

  it('sends a test event with a chosen payload and shows the answer', async () => {
    receiver.respond(() => ({ status: 202, body: 'test ok' }))
    await page.getByLabel('Payload (JSON)').fill('{"orderId": "o_test"}')
    await page.getByRole('button', { name: 'Send test' }).click()
    await page.getByTestId('test-result').waitFor()
    expect(await page.getByTestId('test-result').textContent()).toContain('test ok')
    const last = receiver.requests.at(-1)!
    expect((last.body as { data: unknown }).data).toEqual({ orderId: 'o_test' })
  })

  it('shows the event catalog with descriptions and JSON schemas', async () => {
    await page.getByRole('link', { name: 'Event catalog' }).click()
    await page.getByText('An order was paid.').waitFor()
    await page.getByText('JSON schema').click()
    expect(await page.getByLabel('Schema of order.paid').textContent()).toContain('"orderId"')
  })

  it('deletes an endpoint after a confirmation, and keeps it when cancelled', async () => {
    const doomed = await manager.createEndpoint({ url: `${receiver.url}/doomed`, events: ['order.paid'], name: 'Doomed' })
    await page.goto(`${server.url}/console/#/endpoints/${doomed.id}`)
    page.once('dialog', (d) => void d.dismiss())
    await page.getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('heading', { name: 'Doomed' }).waitFor()
    expect((await manager.getEndpoint(doomed.id)).name).toBe('Doomed')
    page.once('dialog', (d) => {
      expect(d.message()).toContain('Doomed')
      void d.accept()
    })
    await page.getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor()
    await expect(manager.getEndpoint(doomed.id)).rejects.toThrow(/not found/)
  })

  it('ran without CSP violations, console errors or page errors', () => {
    expect(problems.list).toEqual([])
  })

  it('confines a portal link to its tenant: another tenant’s endpoint reads as not found', async () => {
    const mine = await manager.createEndpoint({ url: `${receiver.url}/acme`, events: ['order.paid'], owner: 'acme', name: 'Acme hook' })
    const theirs = await manager.createEndpoint({ url: `${receiver.url}/globex`, events: ['order.paid'], owner: 'globex', name: 'Globex hook' })
    const link = manager.portalLink({ owner: 'acme', expiresIn: 600_000, url: `${server.url}/console/` })
    const portal = await browser.newPage()
    const portalProblems = await watchProblems(portal)
    await portal.goto(link.url)
    await portal.getByTestId('portal-banner').waitFor()
    expect(await portal.getByTestId('portal-banner').textContent()).toContain('acme')
    // The token left the address bar (it lives in the tab's sessionStorage).
    expect(portal.url()).not.toContain('portal=')
    await portal.getByRole('link', { name: 'Acme hook' }).waitFor()
    const table = await portal.locator('table').textContent()
    expect(table).not.toContain('Globex hook')
    expect(table).not.toContain('Orders receiver')
    await portal.goto(`${server.url}/console/#/endpoints/${theirs.id}`)
    await portal.getByRole('alert').waitFor()
    expect(await portal.getByRole('alert').textContent()).toContain('404')
    await portal.goto(`${server.url}/console/#/endpoints/${mine.id}`)
    await portal.getByRole('heading', { name: 'Acme hook' }).waitFor()
    // Only the expected 404 of the other tenant's endpoint was reported.
    expect(portalProblems.list.filter((p) => !/status of 404/.test(p))).toEqual([])
    await portal.close()
  })
})
