// The Quick Mode responder's KeyNote check (Use-Keynote=yes, no -K): the engine's policy query turned into
// isakmpd's action attributes, judged against the policy file with the PSK's principals as requesters.
import { buildActionAttributes, checkQuickMode, parseAssertion, principalsForPsk, type Assertion, type IdentityInput, type Policy } from '../policy/index.js';
import type { IdValue, Phase2Policy } from '../ike/config.js';
import { IdType } from '../ike/numbers.js';

const addr = (b: Uint8Array): string =>
  b.length === 4 ? [...b].join('.') : Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(':');

export function identity(id: IdValue): IdentityInput {
  const base = { type: id.idType, protocol: id.protocol, port: id.port };
  const d = id.data;
  switch (id.idType) {
    case IdType.IPV4_ADDR:
    case IdType.IPV6_ADDR:
      return { ...base, address: addr(d) };
    case IdType.IPV4_ADDR_SUBNET:
    case IdType.IPV6_ADDR_SUBNET:
    case IdType.IPV4_ADDR_RANGE:
    case IdType.IPV6_ADDR_RANGE: {
      const h = d.length / 2;
      const a = addr(d.subarray(0, h));
      const b = addr(d.subarray(h));
      return id.idType === IdType.IPV4_ADDR_RANGE || id.idType === IdType.IPV6_ADDR_RANGE ? { ...base, address: a, end: b } : { ...base, address: a, mask: b };
    }
    case IdType.FQDN:
    case IdType.USER_FQDN:
      return { ...base, value: Buffer.from(d).toString('utf8') };
    default:
      return { ...base, value: d };
  }
}

export function keynotePolicy(policy: Policy, log: (msg: string) => void): Phase2Policy {
  return (q) => {
    try {
      const attrs = buildActionAttributes({
        phase1: {
          exchange: q.phase1.exchange, group: q.phase1.group, authMethod: q.principals ? 'rsa-sig' : 'psk', localAddress: q.phase1.localAddress,
          remoteAddress: q.phase1.remoteAddress, remotePort: q.phase1.remotePort,
          remoteId: q.phase1.remoteId ? identity(q.phase1.remoteId) : { type: 'IPV4_ADDR', address: q.phase1.remoteAddress },
        },
        initiator: q.initiator,
        pfs: q.pfs,
        protocols: [{ protocol: 'esp', transformId: q.transformId, attributes: q.attributes }],
        ...(q.localFilter ? { localFilter: identity(q.localFilter) } : {}),
        ...(q.remoteFilter ? { remoteFilter: identity(q.remoteFilter) } : {}),
      });
      const requesters = q.principals ?? (q.psk ? principalsForPsk(Buffer.from(q.psk)) : []);
      // Certificates add local credentials (isakmpd x509_generate_kn): the issuer licenses the subject.
      const credentials: Assertion[] = [];
      for (const text of q.credentials ?? []) {
        const r = parseAssertion(text, '<x509>', true);
        if (r.ok) credentials.push(r.assertion);
      }
      const d = checkQuickMode(policy, attrs, requesters, credentials.length ? { credentials } : {});
      if (d.allowed) return { allow: true };
      return { allow: false, reason: d.explanation };
    } catch (err) {
      log(`policy: ${(err as Error).message}`);
      return { allow: false, reason: `policy evaluation failed: ${(err as Error).message}` };
    }
  };
}
