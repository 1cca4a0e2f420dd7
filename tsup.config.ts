import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    sqlite: 'src/store/sqlite/index.ts',
    postgres: 'src/store/postgres/index.ts',
    cli: 'src/cli/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  treeshake: true,
  // Database drivers are optional peer dependencies, loaded only by their adapter subpaths.
  external: ['pg', 'better-sqlite3'],
})
