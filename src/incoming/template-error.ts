import { HooklineError, type HooklineErrorOptions } from '../errors.js'

/**
 * An incoming hook's transform failed: the template does not render for this payload, rendering
 * took too long or needed too much memory, or its output is not the JSON it looks like. The
 * request is answered 422 and the error is written to the hook's log.
 */
export class TemplateError extends HooklineError {
  constructor(message: string, options: HooklineErrorOptions = {}) {
    super('TEMPLATE_ERROR', message, { status: 422, ...options })
    this.name = 'TemplateError'
  }
}
