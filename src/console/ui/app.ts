import { useEffect, useState } from 'preact/hooks'
import { loadSession, portalToken, type Session } from './api.js'
import { ErrorBox, Loading, Notices } from './components.js'
import { dateTime } from './format.js'
import { html } from './html.js'
import { DeliveryDetail } from './pages/delivery-detail.js'
import { EndpointDetail } from './pages/endpoint-detail.js'
import { EndpointForm } from './pages/endpoint-form.js'
import { EndpointList } from './pages/endpoint-list.js'
import { EventCatalog } from './pages/event-catalog.js'
import { IncomingDetail, IncomingList } from './pages/incoming.js'
import { match, useRoute } from './router.js'

/** The console: a session check, the navigation, and the page of the current hash route. */
export function App() {
  const [session, setSession] = useState<Session | null>(null)
  const [error, setError] = useState<Error | undefined>()
  useEffect(() => {
    portalToken()
    loadSession().then(setSession, setError)
  }, [])
  const route = useRoute()
  useEffect(() => {
    // Move focus to the new page's heading, so keyboard and screen-reader users land on it.
    const heading = document.querySelector<HTMLElement>('main h2')
    heading?.setAttribute('tabindex', '-1')
    heading?.focus({ preventScroll: true })
  }, [route, session])
  if (error) return html`<main class="page"><${ErrorBox} error=${error} /></main>`
  if (!session) return html`<main class="page"><${Loading} /></main>`
  const nav = [
    ['#/endpoints', 'Endpoints', route === '/' || route.startsWith('/endpoints')],
    ['#/events', 'Event catalog', route.startsWith('/events')],
    ['#/incoming', 'Incoming hooks', route.startsWith('/incoming')],
  ] as const
  return html`<a class="skip" href="#main" onClick=${skipToMain}>Skip to content</a>
    <header class="top">
      <div class="brand">hookline <span class="muted">${session.mode === 'portal' ? 'portal' : 'console'}</span></div>
      <nav aria-label="Main"><ul>${nav.map(([href, label, current]) => html`<li><a href=${href} aria-current=${current ? 'page' : undefined}>${label}</a></li>`)}</ul></nav>
      ${session.mode === 'portal' && html`<p class="session small" data-testid="portal-banner">Tenant <strong>${session.owner}</strong> · link expires ${dateTime(session.expires_at)}</p>`}
    </header>
    <main id="main" class="page" tabindex="-1">${page(route, session)}</main>
    <${Notices} />`
}

/** The skip link focuses the content without touching the hash (which is the route). */
function skipToMain(event: Event) {
  event.preventDefault()
  document.getElementById('main')?.focus()
}

function page(route: string, session: Session) {
  let p: Record<string, string> | null
  if (route === '/' || route === '/endpoints') return html`<${EndpointList} />`
  if (route === '/endpoints/new') return html`<${EndpointForm} />`
  if ((p = match('/endpoints/:id/edit', route))) return html`<${EndpointForm} id=${p.id} />`
  if ((p = match('/endpoints/:id/deliveries/:delivery', route))) return html`<${DeliveryDetail} endpointId=${p.id} id=${p.delivery} />`
  if ((p = match('/endpoints/:id', route))) return html`<${EndpointDetail} id=${p.id} session=${session} />`
  if (route === '/events') return html`<${EventCatalog} />`
  if (route === '/incoming') return html`<${IncomingList} />`
  if ((p = match('/incoming/:id', route))) return html`<${IncomingDetail} id=${p.id} />`
  return html`<section class="card"><h2>Not found</h2><p>No page at <code>${route}</code>. <a href="#/endpoints">Go to the endpoints</a>.</p></section>`
}
