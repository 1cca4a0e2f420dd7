#!/usr/bin/env node
// The `hookline` command. Everything lives in program.ts; this file only runs it.
import { createProgram } from './program.js'

await createProgram().parseAsync(process.argv)
