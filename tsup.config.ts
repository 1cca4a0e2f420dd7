import { defineConfig } from 'tsup'

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      verify: 'src/verify.ts',
      sqlite: 'src/store/sqlite/index.ts',
      postgres: 'src/store/postgres/index.ts',
      cli: 'src/cli/index.ts',
    },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    // The console's assets are written by the second build, in parallel: never clean them here.
    clean: ['!console-assets/**'],
    sourcemap: true,
    splitting: true,
    treeshake: true,
    // Database drivers and OpenTelemetry are optional peer dependencies, loaded only when used.
    external: ['pg', 'better-sqlite3', '@opentelemetry/api'],
  },
  {
    // The console's single-page app (Preact, htm, uPlot: dev dependencies, bundled in), served by
    // createConsoleHandler from dist/console-assets/ — the host needs no bundler.
    entry: { 'console-assets/app': 'src/console/ui/main.ts' },
    format: ['esm'],
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    platform: 'browser',
    dts: false,
    clean: false,
    sourcemap: false,
    splitting: false,
    minify: true,
    outExtension: () => ({ js: '.js' }),
  },
])
