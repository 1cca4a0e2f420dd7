// Bundles the console's single-page app (src/console/ui/) into app.js + app.css with esbuild.
// `npm run build` runs it into dist/console-assets/ (shipped in the package); the tests and the
// example run it into a temporary folder. The published package never runs esbuild.
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ENTRY = fileURLToPath(new URL('../src/console/ui/main.ts', import.meta.url))

/** Builds the console assets into `outdir` (created when missing). */
export async function buildConsoleAssets(outdir: string, { minify = true }: { minify?: boolean } = {}): Promise<void> {
  await mkdir(outdir, { recursive: true })
  await build({
    entryPoints: { app: ENTRY },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2] ?? 'dist/console-assets'
  await buildConsoleAssets(outdir)
  console.log(`[hookline] console assets written to ${outdir}`)
}
