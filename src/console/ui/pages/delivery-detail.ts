import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { Badge, Code, ErrorBox, Loading, Section, notify, useLoad } from '../components.js'
import { dateTime, duration, prettyBody, relative } from '../format.js'
import { html } from '../html.js'

/** One delivery: its state, message and every attempt (headers as stored, redacted), with retry. */
export function DeliveryDetail({ endpointId, id }: { endpointId: string; id: string }) {
  const path = `/webhooks/${encodeURIComponent(endpointId)}/deliveries/${encodeURIComponent(id)}`
  const detail = useLoad(() => api('GET', path), [path], 3000)
  const [error, setError] = useState<Error | undefined>()
  if (detail.data === undefined) return detail.error ? html`<${ErrorBox} error=${detail.error} />` : html`<${Loading} />`
  const d = detail.data
  const retry = async () => {
    setError(undefined)
    try {
      await api('POST', `/deliveries/${encodeURIComponent(id)}/retry`)
      notify('Delivery queued for another attempt')
      detail.reload()
    } catch (err) {
      setError(err as Error)
    }
  }
  return html`<div class="stack">
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/endpoints">Endpoints</a> › <a href=${`#/endpoints/${encodeURIComponent(endpointId)}`}>${endpointId}</a> › <span aria-current="page">${id}</span></nav>
    <${Section} title="Delivery" actions=${html`<button type="button" class="primary" onClick=${retry} disabled=${d.status === 'delivering'}>Retry now</button>`}>
      <${ErrorBox} error=${error} />
      <dl class="props">
        <dt>State</dt><dd><${Badge} value=${d.status} /></dd>
        <dt>Event</dt><dd><code>${d.event}</code></dd>
        <dt>Attempts</dt><dd data-testid="attempt-count">${d.attempts}</dd>
        <dt>Created</dt><dd>${dateTime(d.created_at)}</dd>
        <dt>Next attempt</dt><dd>${d.next_attempt_at && d.status !== 'succeeded' && d.status !== 'dead' ? `${dateTime(d.next_attempt_at)} (${relative(d.next_attempt_at)})` : '—'}</dd>
        <dt>Completed</dt><dd>${dateTime(d.completed_at)}</dd>
        <dt>Id</dt><dd class="mono">${d.id}</dd>
      </dl>
      ${d.message && html`<details><summary>Message data</summary><${Code} label="Message data" text=${JSON.stringify(d.message.data, null, 2)} /></details>`}
    <//>
    <${Section} title=${`Attempts (${d.attempt_log.length})`} id="attempts-title">
      ${d.attempt_log.length === 0 ? html`<p class="muted">No attempt yet.</p>` : html`<ol class="attempts" data-testid="attempts">
        ${d.attempt_log.map((a: any) => html`<li class="attempt">
          <details open=${a === d.attempt_log[d.attempt_log.length - 1]}>
            <summary>
              <span>#${a.attempt}</span> <${Badge} value=${a.succeeded ? 'succeeded' : 'failed'} />
              <span>${a.response_status ?? 'no answer'}</span> · <span>${duration(a.duration_ms)}</span> · <span class="muted">${dateTime(a.started_at)}</span> · <span class="muted">${a.trigger}</span>
            </summary>
            ${a.error && html`<p class="error-text">${a.error}</p>`}
            <h3>Request</h3>
            <p class="mono wrap">${a.method} ${a.url}</p>
            <div class="table-wrap"><table class="headers"><caption class="sr-only">Request headers</caption><tbody>
              ${Object.entries(a.request_headers).map(([k, v]) => html`<tr><th scope="row">${k}</th><td class="mono wrap">${String(v)}</td></tr>`)}
            </tbody></table></div>
            <${Code} label="Request body" text=${prettyBody(a.request_body)} />
            <h3>Response</h3>
            ${a.response_headers && html`<div class="table-wrap"><table class="headers"><caption class="sr-only">Response headers</caption><tbody>
              ${Object.entries(a.response_headers).map(([k, v]) => html`<tr><th scope="row">${k}</th><td class="mono wrap">${String(v)}</td></tr>`)}
            </tbody></table></div>`}
            <${Code} label="Response body" text=${prettyBody(a.response_body)} />
          </details>
        </li>`)}
      </ol>`}
    <//>
  </div>`
}
