import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import type { EndpointTls } from '../types.js'

/** One problem of an endpoint's TLS settings: the field (`cert`, `key`, `passphrase`) and why. */
export interface TlsProblem {
  field: 'cert' | 'key' | 'passphrase'
  message: string
}

/**
 * What is wrong with TLS settings whose shape is valid, found by loading them as the handshake
 * will: the certificate parses, the key opens (with its passphrase, when encrypted) and belongs to
 * the certificate. `null` when they load. Checked on save, so a typo is a `ValidationError`
 * naming the field instead of a failed handshake at every delivery.
 */
export function findTlsProblem(tls: EndpointTls): TlsProblem | null {
  let cert: X509Certificate | null = null
  if (tls.cert) {
    try {
      cert = new X509Certificate(tls.cert)
    } catch {
      return { field: 'cert', message: 'is not a certificate Node can read (PEM text of an X.509 certificate)' }
    }
  }
  if (!tls.key) return null
  // PKCS #8 `ENCRYPTED PRIVATE KEY`, or a traditional PEM key with `Proc-Type: 4,ENCRYPTED`.
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(tls.key)
  if (encrypted && !tls.passphrase) return { field: 'passphrase', message: 'is needed: `key` is an encrypted PEM key' }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: tls.key, format: 'pem', ...(tls.passphrase ? { passphrase: tls.passphrase } : {}) })
  } catch {
    if (encrypted) return { field: 'passphrase', message: 'does not open `key` (wrong passphrase)' }
    return { field: 'key', message: 'is not a private key Node can read (PEM text of a private key)' }
  }
  if (cert !== null && !cert.checkPrivateKey(key)) return { field: 'key', message: 'is not the private key of `cert`' }
  return null
}
