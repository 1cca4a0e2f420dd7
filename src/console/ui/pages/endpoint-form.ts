import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { ErrorBox, Field, fieldError, Loading, Section, notify, useLoad } from '../components.js'
import { html } from '../html.js'
import { go } from '../router.js'

interface FormState {
  name: string
  url: string
  events: string
  description: string
  method: string
  timeout_ms: string
  max_attempts: string
  headers: string
}

const EMPTY: FormState = { name: '', url: '', events: '', description: '', method: 'POST', timeout_ms: '', max_attempts: '', headers: '' }

/** Create (no `id`) or edit an endpoint. Validation is the API's: its messages appear beside the fields. */
export function EndpointForm({ id }: { id?: string }) {
  const existing = useLoad(() => (id ? api('GET', `/webhooks/${encodeURIComponent(id)}`) : Promise.resolve(null)), [id])
  if (id && existing.data === undefined) return existing.error ? html`<${ErrorBox} error=${existing.error} />` : html`<${Loading} />`
  return html`<${Form} id=${id} initial=${existing.data ? fromWebhook(existing.data) : EMPTY} />`
}

function fromWebhook(w: any): FormState {
  return {
    name: w.name ?? '',
    url: w.url ?? '',
    events: (w.events ?? []).join(', '),
    description: w.description ?? '',
    method: w.method ?? 'POST',
    timeout_ms: w.timeout_ms === null || w.timeout_ms === undefined ? '' : String(w.timeout_ms),
    max_attempts: w.retry_policy?.max_attempts === undefined ? '' : String(w.retry_policy.max_attempts),
    headers: Object.entries(w.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n'),
  }
}

function toBody(f: FormState, editing: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    url: f.url.trim(),
    events: f.events.split(/[\s,]+/).filter(Boolean),
    method: f.method,
  }
  if (f.name.trim() !== '' || editing) body.name = f.name.trim() === '' ? undefined : f.name.trim()
  if (f.description.trim() !== '' || editing) body.description = f.description.trim() === '' ? null : f.description.trim()
  // Numbers the user typed are sent as numbers when they parse, else as text for the API to name.
  if (f.timeout_ms.trim() !== '') body.timeout_ms = Number.isNaN(Number(f.timeout_ms)) ? f.timeout_ms : Number(f.timeout_ms)
  else if (editing) body.timeout_ms = null
  if (f.max_attempts.trim() !== '') body.retry_policy = { max_attempts: Number.isNaN(Number(f.max_attempts)) ? f.max_attempts : Number(f.max_attempts) }
  const headers: Record<string, string> = {}
  for (const line of f.headers.split('\n')) {
    const i = line.indexOf(':')
    if (line.trim() === '') continue
    headers[(i < 0 ? line : line.slice(0, i)).trim()] = i < 0 ? '' : line.slice(i + 1).trim()
  }
  if (Object.keys(headers).length > 0 || editing) body.headers = headers
  return body
}

function Form({ id, initial }: { id?: string; initial: FormState }) {
  const [f, setF] = useState<FormState>(initial)
  const [error, setError] = useState<Error | undefined>()
  const [busy, setBusy] = useState(false)
  const [created, setCreated] = useState<any>(null)
  const set = (key: keyof FormState) => (e: any) => setF({ ...f, [key]: e.currentTarget.value })
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const body = toBody(f, id !== undefined)
      if (body.name === undefined) delete body.name
      const saved = id ? await api('PATCH', `/webhooks/${encodeURIComponent(id)}`, body) : await api('POST', '/webhooks', body)
      if (id) {
        notify('Endpoint saved')
        go(`/endpoints/${encodeURIComponent(saved.id)}`)
      } else setCreated(saved)
    } catch (err) {
      setError(err as Error)
    } finally {
      setBusy(false)
    }
  }
  if (created) {
    return html`<${Section} title="Endpoint created">
      <p>Copy the signing secret now: it is not shown again (rotating it makes a new one).</p>
      <p><label for="new-secret">Signing secret</label><input id="new-secret" class="mono" readOnly value=${created.secret} /></p>
      <p><a class="button primary" href=${`#/endpoints/${encodeURIComponent(created.id)}`}>Open ${created.name}</a></p>
    <//>`
  }
  const err = (field: string) => fieldError(error, field)
  return html`<${Section} title=${id ? 'Edit endpoint' : 'New endpoint'}>
    <form class="form" onSubmit=${submit} novalidate>
      <${ErrorBox} error=${error} />
      <${Field} id="ep-url" label="URL" hint="Where deliveries are sent (http or https)." error=${err('url')}>
        <input id="ep-url" name="url" type="url" required value=${f.url} onInput=${set('url')} aria-invalid=${err('url') ? 'true' : 'false'} aria-describedby="ep-url-hint ep-url-error" />
      <//>
      <${Field} id="ep-events" label="Events" hint="Event names, prefix.* wildcards or *, separated by commas." error=${err('events')}>
        <input id="ep-events" name="events" required value=${f.events} onInput=${set('events')} aria-invalid=${err('events') ? 'true' : 'false'} aria-describedby="ep-events-hint ep-events-error" />
      <//>
      <${Field} id="ep-name" label="Name" hint="Default: the URL host." error=${err('name')}>
        <input id="ep-name" name="name" value=${f.name} onInput=${set('name')} aria-describedby="ep-name-hint ep-name-error" />
      <//>
      <${Field} id="ep-description" label="Description" error=${err('description')}>
        <textarea id="ep-description" name="description" rows="2" value=${f.description} onInput=${set('description')}></textarea>
      <//>
      <div class="grid-2">
        <${Field} id="ep-method" label="Method" error=${err('method')}>
          <select id="ep-method" value=${f.method} onChange=${set('method')}><option>POST</option><option>PUT</option><option>PATCH</option></select>
        <//>
        <${Field} id="ep-timeout" label="Timeout (ms)" hint="Default: the manager's." error=${err('timeout_ms')}>
          <input id="ep-timeout" name="timeout_ms" inputmode="numeric" value=${f.timeout_ms} onInput=${set('timeout_ms')} aria-describedby="ep-timeout-hint ep-timeout-error" />
        <//>
        <${Field} id="ep-attempts" label="Max attempts" hint="Default: the manager's retry policy." error=${err('retry_policy')}>
          <input id="ep-attempts" name="max_attempts" inputmode="numeric" value=${f.max_attempts} onInput=${set('max_attempts')} aria-describedby="ep-attempts-hint ep-attempts-error" />
        <//>
      </div>
      <${Field} id="ep-headers" label="Extra headers" hint="One per line: Name: value" error=${err('headers')}>
        <textarea id="ep-headers" name="headers" rows="3" class="mono" value=${f.headers} onInput=${set('headers')} aria-describedby="ep-headers-hint ep-headers-error"></textarea>
      <//>
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy}>${id ? 'Save' : 'Create endpoint'}</button>
        <a class="button" href=${id ? `#/endpoints/${encodeURIComponent(id)}` : '#/endpoints'}>Cancel</a>
      </div>
    </form>
  <//>`
}
