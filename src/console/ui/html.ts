// JSX-free templates: html`<p>${text}</p>` (htm bound to Preact's h).
export { html } from 'htm/preact'
