// The Quick Mode responder's KeyNote check (Use-Keynote=yes, no -K): the engine's policy query turned into
// isakmpd's action attributes, judged against the policy file with the PSK's principals as requesters.
import {
  buildActionAttributes, buildPhase1Attributes, checkPhase1, checkQuickMode, parseAssertion, principalsForPsk, type Assertion, type IdentityInput, type Policy,
} from '../policy/index.js';
import type { IdValue, Phase1Policy, Phase2Policy } from '../ike/config.js';
import { IdType } from '../isakmp/numbers.js';

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
    case IdType.IPV4_RANGE:
    case IdType.IPV6_RANGE: {
      const h = d.length / 2;
      const a = addr(d.subarray(0, h));
      const b = addr(d.subarray(h));
      return id.idType === IdType.IPV4_RANGE || id.idType === IdType.IPV6_RANGE ? { ...base, address: a, end: b } : { ...base, address: a, mask: b };
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
        protocols: q.protocols ?? [{ protocol: 'esp', transformId: q.transformId, attributes: q.attributes }],
        ...(q.localFilter ? { localFilter: identity(q.localFilter) } : {}),
        ...(q.remoteFilter ? { remoteFilter: identity(q.remoteFilter) } : {}),
      });
      const { requesters, credentials } = requestersOf(q);
      const d = checkQuickMode(policy, attrs, requesters, credentials.length ? { credentials } : {});
      if (d.allowed) return { allow: true };
      return { allow: false, reason: d.explanation };
    } catch (err) {
      log(`policy: ${(err as Error).message}`);
      return { allow: false, reason: `policy evaluation failed: ${(err as Error).message}` };
    }
  };
}

/** Who asks: the certificate's principals, or the PSK as a principal; plus credentials from the chain. */
function requestersOf(q: { principals?: string[]; psk?: Uint8Array; credentials?: string[] }): { requesters: string[]; credentials: Assertion[] } {
  const requesters = q.principals ?? (q.psk ? principalsForPsk(Buffer.from(q.psk)) : []);
  // Certificates add local credentials (isakmpd x509_generate_kn): the issuer licenses the subject.
  const credentials: Assertion[] = [];
  for (const text of q.credentials ?? []) {
    const r = parseAssertion(text, '<x509>', true);
    if (r.ok) credentials.push(r.assertion);
  }
  return { requesters, credentials };
}

/**
 * The optional Phase 1 check (`[General] Phase1-policy=yes`, an oakley extension to isakmpd): once the peer
 * has authenticated, the same policy is asked with phase = "1" and the phase 1 attributes, so assertions
 * written for it never grant a Quick Mode.
 */
export function keynotePhase1Policy(policy: Policy, log: (msg: string) => void): Phase1Policy {
  return (q) => {
    try {
      const attrs = buildPhase1Attributes({
        exchange: q.exchange, group: q.group, localAddress: q.localAddress, remoteAddress: q.remoteAddress,
        remoteId: identity(q.remoteId), initiator: q.initiator,
      });
      const { requesters, credentials } = requestersOf(q);
      const d = checkPhase1(policy, attrs, requesters, credentials.length ? { credentials } : {});
      return d.allowed ? { allow: true } : { allow: false, reason: d.explanation };
    } catch (err) {
      log(`policy: ${(err as Error).message}`);
      return { allow: false, reason: `policy evaluation failed: ${(err as Error).message}` };
    }
  };
}
