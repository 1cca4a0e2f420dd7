/**
 * A small bounded cache of decoded HMAC keys, keyed by the secret string, so hot verification
 * paths do not re-decode (base64 / UTF-8) the same secret or recompute its pads on every request.
 *
 * When full, the oldest entry is evicted (insertion order). Values are never exposed outside
 * the signature module, so callers cannot mutate the cached buffers.
 */
export class KeyCache<Key> {
  readonly #decode: (secret: string) => Key
  readonly #maxEntries: number
  readonly #entries = new Map<string, Key>()

  /**
   * @param decode - turns a secret string into a key; may throw for an unusable secret
   *   (nothing is cached then)
   * @param maxEntries - cache size bound, in entries
   */
  constructor(decode: (secret: string) => Key, maxEntries = 256) {
    this.#decode = decode
    this.#maxEntries = maxEntries
  }

  /** Returns the key bytes for `secret`, decoding and caching them on first use. */
  get(secret: string): Key {
    let key = this.#entries.get(secret)
    if (key === undefined) {
      key = this.#decode(secret)
      if (this.#entries.size >= this.#maxEntries) {
        const oldest = this.#entries.keys().next()
        if (oldest.done !== true) this.#entries.delete(oldest.value)
      }
      this.#entries.set(secret, key)
    }
    return key
  }
}
