/**
 * The hookline console with sample traffic: a manager on SQLite, four endpoints of two tenants
 * (healthy, flaky, slow, down), six hours of history and a few new events every 4 seconds.
 * Run it with `npm run example:console` and open the printed URL; a tenant-portal link is printed too.
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildConsoleAssets } from '../scripts/build-console.js'
import { startConsoleDemo } from './console-demo.js'

// From a source checkout the console's scripts are built first; the published package ships them.
const assetsDir = await mkdtemp(join(tmpdir(), 'hookline-console-assets-'))
await buildConsoleAssets(assetsDir)
const dir = await mkdtemp(join(tmpdir(), 'hookline-console-example-'))
const demo = await startConsoleDemo({ filename: join(dir, 'hookline.db'), port: Number(process.env.PORT ?? 3000), assetsDir })
const portal = demo.manager.portalLink({ owner: 'acme', expiresIn: 3_600_000, url: demo.url })
console.log(`hookline console: ${demo.url}`)
console.log(`tenant portal of "acme" (1 hour): ${portal.url}`)
console.log('Ctrl+C to stop.')
process.once('SIGINT', () => {
  void demo.close().then(() => process.exit(0))
})
