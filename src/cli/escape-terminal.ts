/** C0 controls but tab and line feed, DEL and C1 controls (U+009B is CSI on many terminals). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

/**
 * `text` with every control character that could act on a terminal made visible (`ESC` → `\x1b`,
 * `BEL` → `\x07`, `CR` → `\r`), so tenant-controlled values (names, URLs, errors, payloads) cannot
 * clear the screen, set the title, move the cursor, overwrite a line, or hide or recolour text (SGR
 * too: the CLI's own colours are added after this, see `Output`). Tab and line feed stay.
 */
export function escapeTerminal(text: string): string {
  if (!CONTROL.test(text)) return text
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f)) out += c === 0x0d ? '\\r' : `\\x${c.toString(16).padStart(2, '0')}`
    else out += text[i]
  }
  return out
}

/** JSON text with DEL and C1 controls escaped too (`JSON.stringify` escapes only C0): still valid JSON. */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
