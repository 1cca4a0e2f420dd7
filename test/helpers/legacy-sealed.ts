import { createCipheriv, randomBytes } from 'node:crypto'

/**
 * A value as releases before bound ciphertexts sealed it: `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>`,
 * AES-256-GCM without additional authenticated data. Only reading such values is supported now.
 */
export function sealUnbound(key: Uint8Array, keyId: string, plain: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 })
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return `enc:v1:${keyId}:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${data.toString('base64url')}`
}
