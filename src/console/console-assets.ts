import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { HooklineError } from '../errors.js'

/** A built file of the console's single-page app. */
export interface ConsoleAsset {
  body: string
  contentType: string
  etag: string
}

/** The files the console serves under `<prefix>/assets/`, with their content types. */
export const ASSET_TYPES: Readonly<Record<string, string>> = Object.freeze({
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
})

/**
 * Where the built assets are looked for: the folder given, else `console-assets/` beside the
 * bundled module (the published package: `dist/console-assets/`), else `dist/console-assets/` of a
 * source checkout (after `npm run build`).
 */
function candidates(assetsDir: string | undefined): string[] {
  if (assetsDir !== undefined) return [assetsDir]
  return [fileURLToPath(new URL('./console-assets/', import.meta.url)), fileURLToPath(new URL('../../dist/console-assets/', import.meta.url))]
}

/**
 * Loads the console's built assets once (they never change while the process runs). No bundler is
 * involved: the package ships them prebuilt.
 */
export function createAssetLoader(assetsDir: string | undefined): () => Promise<Map<string, ConsoleAsset>> {
  let loading: Promise<Map<string, ConsoleAsset>> | null = null
  return () =>
    (loading ??= load(candidates(assetsDir)).catch((error: unknown) => {
      loading = null
      throw error
    }))
}

async function load(dirs: string[]): Promise<Map<string, ConsoleAsset>> {
  for (const dir of dirs) {
    const assets = new Map<string, ConsoleAsset>()
    try {
      for (const [name, contentType] of Object.entries(ASSET_TYPES)) {
        const body = await readFile(`${dir.replace(/\/?$/, '/')}${name}`, 'utf8')
        assets.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
      }
      return assets
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  throw new HooklineError('CONFIGURATION_ERROR', `the console's assets were not found in ${dirs.join(' or ')}: build them with \`npm run build\``, { status: 500 })
}
