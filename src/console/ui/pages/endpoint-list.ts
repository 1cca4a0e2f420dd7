import { useState } from 'preact/hooks'
import { api, query } from '../api.js'
import { Badge, ErrorBox, Loading, Section, useLoad } from '../components.js'
import { relative } from '../format.js'
import { html } from '../html.js'

/** Endpoints ("webhooks"), filtered by state and event. */
export function EndpointList() {
  const [status, setStatus] = useState('')
  const [event, setEvent] = useState('')
  const [applied, setApplied] = useState({ status: '', event: '' })
  const list = useLoad(() => api('GET', `/webhooks${query({ status: applied.status, event: applied.event, limit: 200 })}`), [applied.status, applied.event], 5000)
  const breakers = useLoad(async () => {
    const hooks: any[] = list.data?.webhooks ?? []
    const states = await Promise.all(hooks.map((w) => api('GET', `/webhooks/${encodeURIComponent(w.id)}/breaker`).catch(() => null)))
    return Object.fromEntries(states.filter(Boolean).map((s: any) => [s.webhook_id, s.state]))
  }, [list.data])
  const onSubmit = (e: Event) => {
    e.preventDefault()
    setApplied({ status, event: event.trim() })
  }
  const webhooks: any[] = list.data?.webhooks ?? []
  return html`<${Section} title="Endpoints" actions=${html`<a class="button primary" href="#/endpoints/new">New endpoint</a>`}>
    <form class="filters" onSubmit=${onSubmit} aria-label="Filter endpoints">
      <div class="field inline">
        <label for="filter-status">State</label>
        <select id="filter-status" value=${status} onChange=${(e: any) => { setStatus(e.currentTarget.value); setApplied({ status: e.currentTarget.value, event: event.trim() }) }}>
          <option value="">any</option><option value="active">active</option><option value="paused">paused</option><option value="disabled">disabled</option>
        </select>
      </div>
      <div class="field inline">
        <label for="filter-event">Event</label>
        <input id="filter-event" type="search" placeholder="agent.created" value=${event} onInput=${(e: any) => setEvent(e.currentTarget.value)} />
      </div>
      <button type="submit">Filter</button>
    </form>
    <${ErrorBox} error=${list.error} />
    ${list.data === undefined && !list.error ? html`<${Loading} />` : webhooks.length === 0 ? html`<p class="muted">No endpoints${applied.status || applied.event ? ' match the filter' : ' yet'}.</p>` : html`
      <div class="table-wrap"><table class="responsive">
        <thead><tr><th scope="col">Name</th><th scope="col">URL</th><th scope="col">Events</th><th scope="col">State</th><th scope="col">Breaker</th><th scope="col">Failing since</th></tr></thead>
        <tbody>${webhooks.map((w) => html`<tr>
          <td data-label="Name"><a href=${`#/endpoints/${encodeURIComponent(w.id)}`}>${w.name}</a>${w.owner && html`<div class="muted small">${w.owner}</div>`}</td>
          <td data-label="URL" class="mono wrap">${w.url}</td>
          <td data-label="Events">${w.events.map((e: string) => html`<code class="tag">${e}</code> `)}</td>
          <td data-label="State"><${Badge} value=${w.status} /></td>
          <td data-label="Breaker">${breakers.data?.[w.id] ? html`<${Badge} value=${breakers.data[w.id]} />` : '—'}</td>
          <td data-label="Failing since">${w.failing_since ? relative(w.failing_since) : '—'}</td>
        </tr>`)}</tbody>
      </table></div>`}
  <//>`
}
