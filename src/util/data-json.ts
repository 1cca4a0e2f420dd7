/**
 * The JSON text of each message's `data`, made once per message object: a SQL store writes it,
 * the envelope of every attempt embeds it, and a message read back from a SQL store arrives with
 * it (the column holds the exact text), so the payload is not serialised again for each delivery.
 */
const texts = new WeakMap<object, string>()

/** JSON text of `message.data` (`null` when undefined), cached per message object. */
export function dataJson(message: { readonly data: unknown }): string {
  let text = texts.get(message)
  if (text === undefined) {
    // `?? 'null'`: data JSON cannot represent (a function, a symbol) is stored as null.
    text = JSON.stringify(message.data ?? null) ?? 'null'
    texts.set(message, text)
  }
  return text
}

/** Records `text`, the stored JSON of `message.data`, for {@link dataJson}. */
export function rememberDataJson(message: object, text: string): void {
  texts.set(message, text)
}
