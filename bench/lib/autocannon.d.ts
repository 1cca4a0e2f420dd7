// The part of autocannon's programmatic API the incoming benchmark uses (it ships no types).
declare module 'autocannon' {
  interface Request {
    method?: string
    path?: string
    body?: string
    headers?: Record<string, string>
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    /** Requests to send in all (instead of a duration). */
    amount?: number
    requests?: Request[]
  }
  interface Result {
    '2xx': number
    non2xx: number
    errors: number
    requests: { average: number; total: number }
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
