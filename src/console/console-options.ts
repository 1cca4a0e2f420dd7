import type { AuthorizeContext, AuthorizeResult } from '../management/options.js'

/** Options of {@link createConsoleHandler}. */
export interface ConsoleHandlerOptions {
  /**
   * Decides who may use the console as an operator (the same contract as the management API's
   * `authorize`: `true` for unscoped access, `{ owner }` to confine the caller to a tenant, `false`
   * for 401). Called for every API request the console makes, except those carrying a portal
   * token, which are confined to the token's tenant without asking it. The page and its scripts are
   * served without calling it (they hold no data).
   * @example authorize: async (request) => (await sessions.isAdmin(request)) ? true : false
   */
  authorize: (request: Request, context: AuthorizeContext) => AuthorizeResult | Promise<AuthorizeResult>
  /** Resolves the tenant of an allowed operator request when `authorize` does not return one. */
  resolveOwner?: (request: Request) => string | null | undefined | Promise<string | null | undefined>
  /**
   * Path the console is served under: the page at `<prefix>/`, its scripts at `<prefix>/assets/`
   * and the management API it calls at `<prefix>/api/`. Use `''` when your framework strips the
   * mount path.
   * @default '/console'
   */
  prefix?: string
  /** Accept tenant-portal links (`manager.portalLink()`). @default true */
  portal?: boolean
  /** Title of the page. @default 'hookline' */
  title?: string
  /**
   * Who may frame the console (CSP `frame-ancestors`), e.g. `['https://app.example.com']` to embed
   * the tenant portal in your own pages. @default [] (nobody)
   */
  frameAncestors?: string[]
  /** Largest accepted API request body, in bytes. @default 1_048_576 (1 MiB) */
  maxBodyBytes?: number
  /**
   * Folder holding the built `app.js` and `app.css` (for development against a fresh build).
   * @default the assets shipped in the package
   */
  assetsDir?: string
  /** Called with every unexpected error (answered as 500). @default logs to `console.error` */
  onError?: (error: unknown, request: Request) => void
}
