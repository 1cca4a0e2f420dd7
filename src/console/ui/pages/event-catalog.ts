import { api } from '../api.js'
import { Code, ErrorBox, Loading, Section, useLoad } from '../components.js'
import { html } from '../html.js'

/** The registered event types with their descriptions, JSON schemas and examples. */
export function EventCatalog() {
  const types = useLoad(() => api('GET', '/event-types'), [])
  const list: any[] = types.data?.event_types ?? []
  return html`<${Section} title="Event catalog">
    <${ErrorBox} error=${types.error} />
    ${types.data === undefined && !types.error ? html`<${Loading} />` : list.length === 0 ? html`<p class="muted">No event types registered (<code>manager.registerEventType()</code>).</p>` : html`
    <ul class="catalog">${list.map((t) => html`<li class="card-inner">
      <h3><code>${t.name}</code></h3>
      <p>${t.description ?? html`<span class="muted">No description.</span>`}</p>
      ${t.schema && html`<details><summary>JSON schema</summary><${Code} label=${`Schema of ${t.name}`} text=${JSON.stringify(t.schema, null, 2)} /></details>`}
      ${t.example !== undefined && html`<details><summary>Example</summary><${Code} label=${`Example of ${t.name}`} text=${JSON.stringify(t.example, null, 2)} /></details>`}
    </li>`)}</ul>`}
  <//>`
}
