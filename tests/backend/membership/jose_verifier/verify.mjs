// A partner's offline check of Tandem cards with jose (panva), as docs/membership.md shows.
// Reads {"jwks": {...}, "tokens": ["..."]} on stdin; prints one result per token as JSON.
import { webcrypto } from 'node:crypto'

// Debian bookworm's Node 18 has WebCrypto but not yet as a global; jose needs the global.
globalThis.crypto ??= webcrypto

const { createLocalJWKSet, jwtVerify } = await import('jose')

let input = ''
for await (const chunk of process.stdin) input += chunk
const { jwks, tokens } = JSON.parse(input)
const keys = createLocalJWKSet(jwks)

const results = []
for (const token of tokens) {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      algorithms: ['EdDSA', 'Ed25519'],
      typ: 'tandem-card+jws',
      requiredClaims: ['num', 'exp'],
    })
    results.push({ ok: true, alg: protectedHeader.alg, payload })
  } catch (error) {
    results.push({ ok: false, code: error.code ?? error.name })
  }
}
process.stdout.write(JSON.stringify(results))
