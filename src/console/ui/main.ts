// Entry of the console's single-page app, bundled by scripts/build-console.ts into app.js + app.css.
import { render } from 'preact'
import { App } from './app.js'
import { html } from './html.js'
import './styles.css'

render(html`<${App} />`, document.getElementById('app')!)
