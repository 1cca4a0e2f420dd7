import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** PEM files made by the `openssl` binary: a CA, a server certificate for localhost, a client certificate. */
export interface Pki {
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  /** `clientKey` encrypted (AES-256) under {@link Pki.clientKeyPassphrase}. */
  clientKeyEncrypted: string
  clientKeyPassphrase: string
  /** A second, self-signed certificate whose key is not `clientKey`. */
  otherCert: string
}

/** Makes a small PKI in `dir` (a temporary directory of the test's own). */
export function makePki(dir: string): Pki {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl('req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=hookline test CA')
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  openssl('req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext')
  openssl('req', ...ecKey, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=hookline-client')
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2')
  const clientKeyPassphrase = 'correct horse battery staple'
  openssl('pkey', '-in', 'client.key', '-aes-256-cbc', '-passout', `pass:${clientKeyPassphrase}`, '-out', 'client-encrypted.key')
  openssl('req', '-x509', ...ecKey, '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=someone else')
  const read = (name: string) => readFileSync(join(dir, name), 'utf8')
  return {
    ca: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    clientKeyEncrypted: read('client-encrypted.key'),
    clientKeyPassphrase,
    otherCert: read('other.crt'),
  }
}
