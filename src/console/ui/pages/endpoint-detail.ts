import { useState } from 'preact/hooks'
import { api, query, type Session } from '../api.js'
import { TimelineChart } from '../chart.js'
import { Badge, Code, ErrorBox, Field, Loading, Section, notify, useLoad } from '../components.js'
import { dateTime, duration, percent, relative, toLocalInput } from '../format.js'
import { html } from '../html.js'
import { go } from '../router.js'

/** One endpoint: settings, actions, breaker, statistics with the chart, deliveries, replay and test send. */
export function EndpointDetail({ id, session }: { id: string; session: Session }) {
  const path = `/webhooks/${encodeURIComponent(id)}`
  const hook = useLoad(() => api('GET', path), [id])
  const [actionError, setActionError] = useState<Error | undefined>()
  const [rotated, setRotated] = useState<any>(null)
  // While a delete is under way the polling sections are unmounted: a poll answered after the delete
  // would be a 404 for an endpoint the operator just removed.
  const [removing, setRemoving] = useState(false)
  if (hook.data === undefined) return hook.error ? html`<${ErrorBox} error=${hook.error} /><p><a href="#/endpoints">Back to endpoints</a></p>` : html`<${Loading} />`
  const w = hook.data
  const act = (label: string, fn: () => Promise<unknown>) => async () => {
    setActionError(undefined)
    try {
      await fn()
      notify(label)
      hook.reload()
    } catch (error) {
      setActionError(error as Error)
    }
  }
  const remove = async () => {
    if (!confirm(`Delete endpoint "${w.name}"? Its pending deliveries are dropped. This cannot be undone.`)) return
    setRemoving(true)
    // Preact renders the state change in a microtask: the sections (and their timers) are gone before the request.
    await Promise.resolve()
    try {
      await api('DELETE', path)
      notify('Endpoint deleted')
      go('/endpoints')
    } catch (error) {
      setRemoving(false)
      setActionError(error as Error)
    }
  }
  return html`<div class="stack">
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/endpoints">Endpoints</a> › <span aria-current="page">${w.name}</span></nav>
    <${Section} title=${w.name} id="endpoint-title" actions=${html`
      ${w.status === 'active'
        ? html`<button type="button" onClick=${act('Endpoint paused', () => api('POST', `${path}/pause`))}>Pause</button>`
        : html`<button type="button" onClick=${act('Endpoint resumed', () => api('POST', `${path}/resume`))}>Resume</button>`}
      <a class="button" href=${`#/endpoints/${encodeURIComponent(id)}/edit`}>Edit</a>
      <button type="button" onClick=${async () => {
        setActionError(undefined)
        try {
          setRotated(await api('POST', `${path}/rotate-secret`, {}))
          hook.reload()
        } catch (error) {
          setActionError(error as Error)
        }
      }}>Rotate secret</button>
      <button type="button" class="danger" onClick=${remove}>Delete</button>`}>
      <${ErrorBox} error=${actionError} />
      ${rotated && html`<div class="callout" role="region" aria-label="New secret">
        <p><strong>New signing secret</strong> (shown once): <code class="mono" data-testid="rotated-secret">${rotated.secret}</code></p>
        <p>The previous secret keeps signing too until <strong data-testid="overlap-until">${dateTime(rotated.previous_secret_expires_at)}</strong> (${relative(rotated.previous_secret_expires_at)}), so receivers can switch without missing a delivery.</p>
      </div>`}
      <dl class="props">
        <dt>State</dt><dd><${Badge} value=${w.status} />${w.disabled_reason && html` <span class="muted">${w.disabled_reason}</span>`}</dd>
        <dt>URL</dt><dd class="mono wrap">${w.method} ${w.url}</dd>
        <dt>Events</dt><dd>${w.events.map((e: string) => html`<code class="tag">${e}</code> `)}</dd>
        ${w.description && html`<dt>Description</dt><dd>${w.description}</dd>`}
        ${session.mode === 'operator' && html`<dt>Owner</dt><dd>${w.owner ?? '—'}</dd>`}
        ${w.ordering === 'fifo' && html`<dt>Ordering</dt><dd>fifo${w.ordering_key && html` per <code>${w.ordering_key}</code>`} · one delivery at a time, in emit order</dd>`}
        <dt>Signature</dt><dd>${w.signature_scheme}${w.previous_secret_expires_at && html` · previous secret valid until ${dateTime(w.previous_secret_expires_at)}`}</dd>
        <dt>Failing since</dt><dd>${w.failing_since ? `${dateTime(w.failing_since)} (${relative(w.failing_since)})` : '—'}</dd>
        <dt>Id</dt><dd class="mono">${w.id}</dd>
      </dl>
    <//>
    ${!removing && html`<${Health} path=${path} />
    <${Deliveries} id=${id} path=${path} />`}
    <${Replay} path=${path} />
    <${TestSend} path=${path} events=${w.events} />
  </div>`
}

function Health({ path }: { path: string }) {
  const stats = useLoad(() => api('GET', `${path}/stats`), [path], 5000)
  const breaker = useLoad(() => api('GET', `${path}/breaker`), [path], 5000)
  const [hours, setHours] = useState(24)
  const timeline = useLoad(() => api('GET', `${path}/timeline${query({ since: new Date(Date.now() - hours * 3_600_000).toISOString(), buckets: 24 })}`), [path, hours])
  const s = stats.data
  const b = breaker.data
  return html`<${Section} title="Statistics" actions=${html`<label for="timeline-range" class="small">Range</label>
      <select id="timeline-range" value=${String(hours)} onChange=${(e: any) => setHours(Number(e.currentTarget.value))}>
        <option value="1">1 hour</option><option value="6">6 hours</option><option value="24">24 hours</option><option value="168">7 days</option>
      </select>`}>
    <${ErrorBox} error=${stats.error ?? breaker.error} />
    ${s && html`<dl class="tiles">
      <div><dt>Success rate</dt><dd data-testid="success-rate">${percent(s.success_rate)}</dd></div>
      <div><dt>Deliveries</dt><dd>${s.total}</dd></div>
      <div><dt>Succeeded</dt><dd>${s.succeeded}</dd></div>
      <div><dt>Retrying</dt><dd>${s.failed}</dd></div>
      <div><dt>Dead</dt><dd>${s.dead}</dd></div>
      <div><dt>Pending</dt><dd>${s.pending}</dd></div>
      <div><dt>Avg latency</dt><dd>${duration(s.average_duration_ms)}</dd></div>
      <div><dt>p95 latency</dt><dd>${duration(s.p95_duration_ms)}</dd></div>
      ${b && html`<div><dt>Breaker</dt><dd data-testid="breaker"><${Badge} value=${b.state} />${b.retry_at && html`<div class="small muted">probe ${relative(b.retry_at)}</div>`}</dd></div>`}
    </dl>`}
    ${timeline.data ? html`<${TimelineChart} buckets=${timeline.data.buckets} />` : timeline.error ? html`<${ErrorBox} error=${timeline.error} />` : html`<${Loading} />`}
  <//>`
}

const STATES = ['pending', 'delivering', 'succeeded', 'failed', 'dead']

function Deliveries({ id, path }: { id: string; path: string }) {
  const [status, setStatus] = useState('')
  const list = useLoad(() => api('GET', `${path}/deliveries${query({ status, limit: 50 })}`), [path, status], 3000)
  const rows: any[] = list.data?.deliveries ?? []
  return html`<${Section} title="Deliveries" actions=${html`<label for="delivery-status" class="small">State</label>
      <select id="delivery-status" value=${status} onChange=${(e: any) => setStatus(e.currentTarget.value)}>
        <option value="">any</option>${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <button type="button" onClick=${list.reload}>Refresh</button>`}>
    <${ErrorBox} error=${list.error} />
    ${list.data === undefined && !list.error ? html`<${Loading} />` : rows.length === 0 ? html`<p class="muted">No deliveries${status ? ` in state ${status}` : ' yet'}.</p>` : html`
    <div class="table-wrap"><table class="responsive" data-testid="deliveries">
      <thead><tr><th scope="col">Created</th><th scope="col">Event</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Next attempt</th></tr></thead>
      <tbody>${rows.map((d) => html`<tr>
        <td data-label="Created"><a href=${`#/endpoints/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(d.id)}`}>${dateTime(d.created_at)}</a></td>
        <td data-label="Event"><code>${d.event}</code></td>
        <td data-label="State"><${Badge} value=${d.status} /></td>
        <td data-label="Attempts">${d.attempts}</td>
        <td data-label="Last answer">${d.last_status_code ?? ''} ${d.last_error && html`<span class="muted small">${d.last_error}</span>`}</td>
        <td data-label="Next attempt">${d.next_attempt_at && d.status !== 'succeeded' && d.status !== 'dead' ? relative(d.next_attempt_at) : '—'}</td>
      </tr>`)}</tbody>
    </table></div>`}
  <//>`
}

function Replay({ path }: { path: string }) {
  const [since, setSince] = useState(toLocalInput(new Date(Date.now() - 3_600_000)))
  const [until, setUntil] = useState('')
  const [error, setError] = useState<Error | undefined>()
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(undefined)
    try {
      const body: Record<string, unknown> = { since: new Date(since).toISOString() }
      if (until) body.until = new Date(until).toISOString()
      const r = await api('POST', `${path}/replay`, body)
      notify(`${r.replayed} deliveries queued again`)
    } catch (err) {
      setError(err as Error)
    }
  }
  return html`<${Section} title="Replay failed deliveries">
    <form class="form row" onSubmit=${submit}>
      <${ErrorBox} error=${error} />
      <${Field} id="replay-since" label="Created from"><input id="replay-since" type="datetime-local" required value=${since} onInput=${(e: any) => setSince(e.currentTarget.value)} /><//>
      <${Field} id="replay-until" label="Until (optional)"><input id="replay-until" type="datetime-local" value=${until} onInput=${(e: any) => setUntil(e.currentTarget.value)} /><//>
      <div class="actions"><button type="submit">Replay failed and dead</button></div>
    </form>
  <//>`
}

function TestSend({ path, events }: { path: string; events: string[] }) {
  const first = events.find((e) => !e.includes('*')) ?? 'webhook.test'
  const [event, setEvent] = useState(first)
  const [payload, setPayload] = useState('{\n  "test": true\n}')
  const [error, setError] = useState<Error | undefined>()
  const [result, setResult] = useState<any>(null)
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(undefined)
    setResult(null)
    let data: unknown
    try {
      data = JSON.parse(payload)
    } catch (err) {
      setError(new Error(`the payload is not valid JSON: ${(err as Error).message}`))
      return
    }
    try {
      setResult(await api('POST', `${path}/test`, { event, data }))
    } catch (err) {
      setError(err as Error)
    }
  }
  return html`<${Section} title="Send a test event">
    <form class="form" onSubmit=${submit}>
      <${ErrorBox} error=${error} />
      <${Field} id="test-event" label="Event"><input id="test-event" value=${event} onInput=${(e: any) => setEvent(e.currentTarget.value)} /><//>
      <${Field} id="test-payload" label="Payload (JSON)"><textarea id="test-payload" class="mono" rows="5" value=${payload} onInput=${(e: any) => setPayload(e.currentTarget.value)}></textarea><//>
      <div class="actions"><button type="submit">Send test</button></div>
    </form>
    ${result && html`<div class="callout" data-testid="test-result">
      <p><${Badge} value=${result.status === 'sent' ? 'succeeded' : 'failed'} /> ${result.attempt.response_status ?? 'no answer'} in ${duration(result.attempt.duration_ms)}${result.attempt.error && html` · ${result.attempt.error}`}</p>
      <${Code} label="Response body" text=${result.attempt.response_body ?? '(empty)'} />
    </div>`}
  <//>`
}
