import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { ApiError, type FieldIssue } from './api.js'
import { html } from './html.js'

/** State of an async load: the value, the error, and a reload function. */
export interface Loaded<T> {
  data: T | undefined
  error: ApiError | Error | undefined
  loading: boolean
  reload: () => void
}

/** Loads `fn()` when `deps` change, and again every `pollMs` while mounted (if given). */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], pollMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true })
  const [tick, setTick] = useState(0)
  const reload = useCallback(() => setTick((t) => t + 1), [])
  useEffect(() => {
    let live = true
    setState((s) => ({ ...s, loading: true }))
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState({ error, loading: false }),
    )
    return () => {
      live = false
    }
  }, [...deps, tick])
  useEffect(() => {
    if (!pollMs) return
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload()
    }, pollMs)
    return () => clearInterval(timer)
  }, [pollMs, ...deps])
  return { data: state.data, error: state.error, loading: state.loading, reload }
}

type Notify = (text: string, kind?: 'ok' | 'error') => void
let notifyListener: Notify = () => {}

/** Shows a short message in the page's live region. */
export const notify: Notify = (text, kind = 'ok') => notifyListener(text, kind)

/** The live region that announces {@link notify} messages to screen readers and shows them. */
export function Notices() {
  const [message, setMessage] = useState<{ text: string; kind: string; id: number } | null>(null)
  useEffect(() => {
    notifyListener = (text, kind = 'ok') => setMessage({ text, kind, id: Date.now() })
  }, [])
  useEffect(() => {
    if (!message) return
    const timer = setTimeout(() => setMessage(null), 6000)
    return () => clearTimeout(timer)
  }, [message])
  return html`<div class="notices" role="status" aria-live="polite">
    ${message && html`<p class=${`notice notice-${message.kind}`} data-testid="notice">${message.text}</p>`}
  </div>`
}

/** A delivery or endpoint state as a coloured badge (the word is always shown, colour is a hint). */
export function Badge({ value }: { value: string }) {
  return html`<span class=${`badge badge-${value}`}>${value}</span>`
}

/** An API or network error, with the fields a 400 named. */
export function ErrorBox({ error }: { error: Error | undefined }) {
  if (!error) return null
  const fields: FieldIssue[] = error instanceof ApiError ? error.fields : []
  return html`<div class="error-box" role="alert">
    <p><strong>${error instanceof ApiError ? `${error.status} ${error.code}` : 'Error'}</strong>: ${error.message}</p>
    ${fields.length > 0 && html`<ul>${fields.map((f) => html`<li><code>${f.field || '(body)'}</code> ${f.message}</li>`)}</ul>`}
  </div>`
}

/** The message a 400 gave for one field (or its children), for showing beside the input. */
export function fieldError(error: Error | undefined, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined
  const hit = error.fields.filter((f) => f.field === field || f.field.startsWith(`${field}.`) || f.field.startsWith(`${field}[`))
  return hit.length === 0 ? undefined : hit.map((f) => (f.field === field ? f.message : `${f.field}: ${f.message}`)).join('; ')
}

/** A labelled form field; `error` is linked with aria-describedby. */
export function Field({ id, label, hint, error, children }: { id: string; label: string; hint?: string; error?: string; children: ComponentChildren }) {
  return html`<div class=${`field${error ? ' field-invalid' : ''}`}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </div>`
}

/** A titled section. */
export function Section({ title, actions, children, id }: { title: string; actions?: ComponentChildren; children: ComponentChildren; id?: string }) {
  const headingId = id ?? `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`
  return html`<section class="card" aria-labelledby=${headingId}>
    <div class="card-head"><h2 id=${headingId}>${title}</h2>${actions && html`<div class="actions">${actions}</div>`}</div>
    ${children}
  </section>`
}

/** Preformatted JSON or text. */
export function Code({ text, label }: { text: string; label?: string }) {
  return html`<pre class="code" tabindex="0" aria-label=${label ?? 'code'}><code>${text}</code></pre>`
}

/** "Loading…" while the first load runs. */
export function Loading() {
  return html`<p class="muted" aria-busy="true">Loading…</p>`
}
