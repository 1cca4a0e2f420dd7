import { api, query } from '../api.js'
import { Badge, Code, ErrorBox, Loading, Section, useLoad } from '../components.js'
import { dateTime, duration, percent, prettyBody } from '../format.js'
import { html } from '../html.js'

/** Incoming hooks (token URLs that receive webhooks from other systems). */
export function IncomingList() {
  const hooks = useLoad(() => api('GET', `/incoming${query({ limit: 200 })}`), [], 10000)
  const list: any[] = hooks.data?.incoming_hooks ?? []
  return html`<${Section} title="Incoming hooks">
    <${ErrorBox} error=${hooks.error} />
    ${hooks.data === undefined && !hooks.error ? html`<${Loading} />` : list.length === 0 ? html`<p class="muted">No incoming hooks.</p>` : html`
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">Name</th><th scope="col">Route</th><th scope="col">Verification</th><th scope="col">State</th><th scope="col">Created</th></tr></thead>
      <tbody>${list.map((h) => html`<tr>
        <td><a href=${`#/incoming/${encodeURIComponent(h.id)}`}>${h.name ?? h.id}</a></td>
        <td><code>${h.route}</code></td>
        <td>${h.verification?.type ?? 'none'}</td>
        <td><${Badge} value=${h.active === false ? 'paused' : 'active'} /></td>
        <td>${dateTime(h.created_at)}</td>
      </tr>`)}</tbody>
    </table></div>`}
  <//>`
}

/** One incoming hook with its statistics and request log. */
export function IncomingDetail({ id }: { id: string }) {
  const path = `/incoming/${encodeURIComponent(id)}`
  const hook = useLoad(() => api('GET', path), [id])
  const stats = useLoad(() => api('GET', `${path}/stats`), [id], 5000)
  const logs = useLoad(() => api('GET', `${path}/logs${query({ limit: 50 })}`), [id], 5000)
  if (hook.data === undefined) return hook.error ? html`<${ErrorBox} error=${hook.error} />` : html`<${Loading} />`
  const h = hook.data
  const s = stats.data
  const rows: any[] = logs.data?.logs ?? []
  return html`<div class="stack">
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/incoming">Incoming hooks</a> › <span aria-current="page">${h.name ?? h.id}</span></nav>
    <${Section} title=${h.name ?? h.id}>
      <dl class="props">
        <dt>Route</dt><dd><code>${h.route}</code></dd>
        <dt>Path</dt><dd class="mono">${h.path ?? '—'}</dd>
        <dt>Id</dt><dd class="mono">${h.id}</dd>
      </dl>
      ${s && html`<dl class="tiles">
        <div><dt>Requests</dt><dd>${s.total}</dd></div>
        <div><dt>Accepted</dt><dd>${s.succeeded}</dd></div>
        <div><dt>Refused</dt><dd>${s.failed}</dd></div>
        <div><dt>Success rate</dt><dd>${percent(s.success_rate)}</dd></div>
        <div><dt>p95</dt><dd>${duration(s.p95_duration_ms)}</dd></div>
      </dl>`}
    <//>
    <${Section} title="Request log">
      <${ErrorBox} error=${logs.error} />
      ${rows.length === 0 ? html`<p class="muted">No requests yet.</p>` : html`<ol class="attempts">${rows.map((l) => html`<li class="attempt"><details>
        <summary><${Badge} value=${l.status < 300 ? 'succeeded' : 'failed'} /> ${l.status} · ${duration(l.duration_ms)} · <span class="muted">${dateTime(l.received_at)}</span> · <span class="muted">${l.source_ip ?? ''}</span></summary>
        ${l.error && html`<p class="error-text">${l.error}</p>`}
        <${Code} label="Headers" text=${JSON.stringify(l.headers, null, 2)} />
        <${Code} label="Payload" text=${prettyBody(l.payload)} />
      </details></li>`)}</ol>`}
    <//>
  </div>`
}
