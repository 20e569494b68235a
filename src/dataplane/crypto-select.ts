// Chooses the per-packet crypto backend: libcrypto EVP when it loads, node:crypto otherwise.
import { evpLoadError, evpProvider } from './evp.js';
import { nodeProvider, type CryptoProvider } from './provider.js';

export function defaultProvider(log: (msg: string) => void = (m) => console.error(m)): CryptoProvider {
  if (process.env.OAKLEY_ESP_CRYPTO === 'node') return nodeProvider;
  const p = evpProvider();
  if (p) return p;
  log(`dataplane: libcrypto EVP unavailable (${evpLoadError() ?? 'unknown'}); using node:crypto per packet (slower)`);
  return nodeProvider;
}
