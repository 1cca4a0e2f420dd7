#!/usr/bin/env node
// The `hookline` command. Everything lives in program.ts; this file only runs it.
import { normalizeArgv } from './normalize-argv.js'
import { createProgram } from './program.js'

const args = normalizeArgv(process.argv.slice(2))
await (await createProgram(args)).parseAsync(args, { from: 'user' })
