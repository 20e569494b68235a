// Validation: walk the configuration from its roots the way isakmpd follows names ([Phase 1] -> peers ->
// ISAKMP-configuration -> transforms -> lifetimes; [Phase 2] -> connections -> IPsec-configuration ->
// suites -> protocols -> transforms; IDs), checking each tag against schema.ts. Errors are what makes
// isakmpd fail or silently ignore something; warnings are what it accepts but probably not as meant.
import { isIP } from 'node:net';
import type { Config } from './config.js';
import type { Binding } from './store.js';
import type { Diagnostic, Severity } from './diagnostics.js';
import { SECTION_SPECS, TRANSFORM_TABLES, type Kind, type TagSpec } from './schema.js';
import { entriesOf, numberOf, type NumberTable } from '../isakmp/numbers.js';
import { isPlainInt, parseOfferAccept, splitList, decodePresharedKey } from './values.js';
import { parsePort } from './model.js';
import { explainNotGenerated, parseQmBase, suggestGeneratedName } from './autogen.js';
import { closest } from './suggest.js';

interface Site {
  file: string;
  line: number;
}

const ESP_IMPLEMENTED = ['3DES', 'AES', 'AES_CTR', 'AES_GCM_16', 'AES_GMAC', 'CAST', 'BLOWFISH', 'NULL'];
const AH_IMPLEMENTED = ['MD5', 'SHA', 'RIPEMD', 'SHA2_256', 'SHA2_384', 'SHA2_512'];
const ROOTS: [string, Kind][] = [['General', 'general'], ['Phase 1', 'phase1-root'], ['Phase 2', 'phase2-root'], ['X509-certificates', 'x509'], ['KeyNote', 'keynote']];
const IKECFG_PREFIX = /^(ipv4|ipv6|fqdn|ufqdn|asn1_dn)\//i;

export function validate(c: Config): Diagnostic[] {
  const out: Diagnostic[] = [];
  const visited = new Set<string>();
  const used = new Set<string>();
  const fallbackSite: Site = { file: c.files[0] ?? '<defaults>', line: 0 };

  const siteOf = (b: Binding | undefined, ref: Site): Site => (b && !b.isDefault ? { file: b.origin.file, line: b.origin.line } : ref);
  const report = (severity: Severity, site: Site, code: string, section: string, tag: string | undefined, message: string, hint?: string): void => {
    out.push({ severity, file: site.file, line: site.line, section, ...(tag !== undefined ? { tag } : {}), code, message, ...(hint ? { hint } : {}) });
  };
  /** Problems inside built-in defaults are not the operator's; only their own values are reported. */
  const userValue = (b: Binding | undefined): boolean => !!b && !b.isDefault;

  function symbolCheck(section: string, tag: string, b: Binding, table: NumberTable, site: Site, opts: { only?: readonly string[]; implemented?: readonly string[]; any?: boolean }): string | undefined {
    const v = b.value.trim();
    if (opts.any && v.toUpperCase() === 'ANY') return 'ANY';
    const names = entriesOf(table).map(([n]) => n).filter((n) => !opts.only || opts.only.includes(n));
    const exact = names.find((n) => n.toLowerCase() === v.toLowerCase());
    if (exact) {
      if (opts.implemented && !opts.implemented.includes(exact) && userValue(b)) {
        report('warning', site, 'not-implemented', section, tag, `${exact} is a known ${tag} but is not implemented, so a proposal using it cannot succeed`, `use one of ${opts.implemented.join(', ')}`);
      }
      return exact;
    }
    const n = numberOf(table, v);
    const spelled = n === undefined ? undefined : names.find((x) => numberOf(table, x) === n);
    const hint = spelled ? `isakmpd spells it ${spelled}` : `valid names: ${names.join(', ')}${opts.any ? ', ANY' : ''}`;
    if (userValue(b) || b.generated) report('error', site, 'unknown-value', section, tag, `unknown ${tag} '${v}'`, hint);
    return undefined;
  }

  function checkTag(kind: Kind, section: string, tag: string, spec: TagSpec, b: Binding, ref: Site): void {
    const site = siteOf(b, ref);
    const v = b.value;
    switch (spec.t) {
      case 'int': {
        if (!isPlainInt(v)) {
          if (userValue(b)) report('error', site, 'not-a-number', section, tag, `'${v}' is not a whole number (isakmpd would read it as ${Number.parseInt(v, 10) || 0})`, 'write digits only, e.g. 3');
          return;
        }
        const n = Number(v.trim());
        if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
          const want = spec.min === spec.max ? `${spec.min}` : `${spec.min ?? '-'}..${spec.max ?? ''}`;
          report('error', site, 'out-of-range', section, tag, `${tag}=${n} is out of range for a ${SECTION_SPECS[kind].title} section`, `write ${tag}=${want}`);
        }
        return;
      }
      case 'offer': {
        if (spec.any && v.trim().toUpperCase() === 'ANY') return;
        const oa = parseOfferAccept(v);
        if (!oa) {
          report('error', site, 'bad-number-spec', section, tag, `invalid number spec '${v}'`, `write a number (e.g. 3600) or offer,min:max (e.g. 3600,60:86400)${spec.any ? ', or ANY' : ''}`);
          return;
        }
        if (!isPlainInt(v) && !/^\s*[+-]?\d+\s*,\s*[+-]?\d+\s*:\s*[+-]?\d+\s*$/.test(v)) {
          report('warning', site, 'number-spec-trailing', section, tag, `only the leading part of '${v}' is read (as ${oa.range ? `${oa.offer},${oa.min}:${oa.max}` : oa.offer})`, 'remove the extra text');
        }
        if (oa.range && (oa.min > oa.max || oa.offer < oa.min || oa.offer > oa.max)) {
          report('warning', site, 'offer-outside-range', section, tag, `offered value ${oa.offer} is outside the accepted range ${oa.min}..${oa.max}, or the range is empty`, 'make min <= offer <= max');
        }
        if (spec.multipleOf) {
          for (const x of oa.range ? [oa.offer, oa.min, oa.max] : [oa.offer]) {
            if (x % spec.multipleOf !== 0) {
              report('error', site, 'key-length', section, tag, `key length ${x} is not a multiple of ${spec.multipleOf} bits`, 'write key lengths in bits, e.g. 128 or 128,128:256');
              break;
            }
          }
        }
        return;
      }
      case 'sym':
        symbolCheck(section, tag, b, spec.table, site, spec);
        return;
      case 'ref':
        follow(spec.kind, v.trim(), site, section, tag);
        return;
      case 'refs': {
        if (spec.any && v.trim().toUpperCase() === 'ANY') return;
        const l = splitList(v);
        if (l.empty && userValue(b)) report('warning', site, 'empty-field', section, tag, 'empty list element is skipped', "remove the doubled or trailing ','");
        if (l.items.length === 0 && userValue(b)) report('error', site, 'empty-list', section, tag, 'empty list', `name at least one ${SECTION_SPECS[spec.kind].title} section`);
        for (const name of l.items) follow(spec.kind, name, site, section, tag);
        return;
      }
      case 'list': {
        const l = splitList(v);
        if (l.empty && userValue(b)) report('warning', site, 'empty-field', section, tag, 'empty list element is skipped', "remove the doubled or trailing ','");
        return;
      }
      case 'oneOf':
        if (!spec.values.some((x) => x.toLowerCase() === v.trim().toLowerCase()) && userValue(b)) {
          report('error', site, 'unknown-value', section, tag, `unknown ${tag} '${v}'`, `valid values: ${spec.values.join(', ')}`);
        }
        return;
      case 'port':
        if (parsePort(v, 0) === undefined) report('error', site, 'bad-port', section, tag, `'${v}' is not a port`, 'write a number from 1 to 65535, or isakmp (500)');
        return;
      case 'psk': {
        const k = decodePresharedKey(v);
        if (!k) report('error', site, 'bad-hex-key', section, tag, `pre-shared key starts with 0x but '${v.slice(2)}' is not hexadecimal`, 'write hex digits after 0x, or a key that does not start with 0x');
        else if (k.length === 0) report('error', site, 'empty-key', section, tag, 'empty pre-shared key', 'write the shared secret after Authentication=');
        return;
      }
      case 'addr':
        if (!isIP(v.trim()) && !(spec.names && (v.trim() === 'default' || /^[a-z][a-z0-9_.-]*\d$/i.test(v.trim())))) {
          report('error', site, 'bad-address', section, tag, `'${v}' is not an IP address${spec.names ? ', an interface name or default' : ''}`, 'write an IPv4 or IPv6 address, e.g. 192.0.2.1');
        }
        return;
      case 'str':
      case 'flag':
        return;
    }
  }

  function follow(kind: Kind, name: string, site: Site, fromSection: string, fromTag: string): void {
    used.add(name.toLowerCase());
    if (!c.hasSection(name)) {
      const gen = kind === 'isakmp-transform' || kind === 'ipsec-suite' ? explainNotGenerated(name) : null;
      const near = closest(name, c.sections()) ?? (gen ? suggestGeneratedName(name, closest) : undefined);
      const hint = near ? `did you mean ${gen ? near : `[${near}]`}?${gen ? ` (${gen})` : ''}` : gen ?? `add a [${name}] section`;
      report('error', site, 'missing-section', fromSection, fromTag, `${fromTag} names [${name}], which is not defined${gen ? ' and is not an auto-generated name' : ''}`, hint);
      return;
    }
    visit(kind, name, site);
  }

  function visit(kind: Kind, section: string, ref: Site): void {
    const key = `${kind}\0${section.toLowerCase()}`;
    if (visited.has(key)) return;
    visited.add(key);
    used.add(section.toLowerCase());
    const spec = SECTION_SPECS[kind];
    const bindings = c.sectionBindings(section);
    const specTags = new Map(Object.entries(spec.tags).map(([t, s]) => [t.toLowerCase(), [t, s] as const]));
    const internal = new Set((spec.internal ?? []).map((t) => t.toLowerCase()));
    for (const b of bindings) {
      const hit = specTags.get(b.tag.toLowerCase());
      if (hit) {
        checkTag(kind, section, hit[0], hit[1], b, ref);
      } else if (kind === 'phase1-root') {
        // [Phase 1]: every tag but Default is a peer address.
        const site = siteOf(b, ref);
        if (!isIP(b.tag) && userValue(b)) report('warning', site, 'phase1-not-address', section, b.tag, `'${b.tag}' is neither Default nor an IP address: isakmpd looks peers up by their source address, so this line never matches`, 'write <peer IP address>=<ISAKMP-peer section> or Default=<section>');
        follow('isakmp-peer', b.value.trim(), site, section, b.tag);
        const addr = c.get(b.value.trim(), 'Address');
        if (isIP(b.tag) && addr !== undefined && isIP(addr.trim()) && addr.trim() !== b.tag && userValue(b)) {
          report('warning', site, 'phase1-address-mismatch', section, b.tag, `[Phase 1] maps ${b.tag} to [${b.value.trim()}], whose Address is ${addr.trim()}`, 'use the same address in both places');
        }
      } else if (!internal.has(b.tag.toLowerCase()) && userValue(b)) {
        const near = closest(b.tag, Object.keys(spec.tags));
        report('warning', siteOf(b, ref), 'unknown-tag', section, b.tag, `isakmpd does not read tag '${b.tag}' in a ${spec.title} section`,
          near ? `did you mean ${near}=?` : `known tags: ${Object.keys(spec.tags).join(', ')}`);
      }
    }
    kindChecks(kind, section, ref);
  }

  const need = (section: string, tag: string, ref: Site, why: string, example: string, severity: Severity = 'error'): boolean => {
    if (c.get(section, tag) !== undefined) return true;
    const first = c.sectionBindings(section).find((b) => !b.isDefault);
    report(severity, first ? { file: first.origin.file, line: first.origin.line } : ref, 'missing-tag', section, tag, `missing ${tag}: ${why}`, `add ${tag}=${example}`);
    return false;
  };

  function kindChecks(kind: Kind, s: string, ref: Site): void {
    switch (kind) {
      case 'general': {
        const ll = c.binding(s, 'Loglevel');
        for (const item of ll ? splitList(ll.value).items : []) {
          if (!/^[A-Za-z]+=\d+$/.test(item)) report('warning', siteOf(ll, ref), 'bad-loglevel', s, 'Loglevel', `'${item}' is not class=level`, 'write items like A=50 (all classes) or misc=70, separated by commas');
        }
        const lo = c.binding(s, 'Listen-on');
        for (const item of lo ? splitList(lo.value).items : []) {
          if (!isIP(item) && !/^[a-z][a-z0-9_.-]*\d$/i.test(item)) report('warning', siteOf(lo, ref), 'bad-listen-on', s, 'Listen-on', `'${item}' is neither an IP address nor an interface name`, 'list addresses such as 198.18.0.1 or interfaces such as em0');
        }
        break;
      }
      case 'isakmp-peer': {
        if (c.get(s, 'Phase') === undefined) need(s, 'Phase', ref, 'isakmpd needs it to start an exchange with this peer', '1', 'warning');
        if (!c.isDefined(s, 'Configuration')) follow('isakmp-configuration', 'Default-phase-1-configuration', ref, s, 'Configuration');
        break;
      }
      case 'isakmp-configuration': {
        need(s, 'EXCHANGE_TYPE', ref, 'Main Mode or Aggressive Mode', 'ID_PROT');
        need(s, 'Transforms', ref, 'the proposals to offer', 'AES-128-SHA2-256-GRP14');
        if ((c.get(s, 'EXCHANGE_TYPE') ?? '').trim().toUpperCase() === 'AGGRESSIVE') {
          const groups = new Set((c.getList(s, 'Transforms') ?? []).map((t) => (c.get(t, 'GROUP_DESCRIPTION') ?? '').toUpperCase()));
          if (groups.size > 1) {
            report('error', siteOf(c.binding(s, 'Transforms'), ref), 'aggressive-groups', s, 'Transforms', `Aggressive Mode sends one KE payload, but these transforms use different groups: ${[...groups].join(', ')}`, 'use transforms with the same -GRPn');
          }
        }
        break;
      }
      case 'isakmp-transform':
        need(s, 'ENCRYPTION_ALGORITHM', ref, 'every ISAKMP transform needs a cipher', 'AES_CBC');
        need(s, 'HASH_ALGORITHM', ref, 'every ISAKMP transform needs a hash', 'SHA2_256');
        need(s, 'AUTHENTICATION_METHOD', ref, 'every ISAKMP transform needs an authentication method', 'PRE_SHARED');
        if (c.get(s, 'GROUP_DESCRIPTION') === undefined && c.get(s, 'GROUP_TYPE') === undefined) need(s, 'GROUP_DESCRIPTION', ref, 'every ISAKMP transform needs a Diffie-Hellman group', 'MODP_2048');
        break;
      case 'lifetime': {
        need(s, 'LIFE_TYPE', ref, 'seconds or kilobytes', 'SECONDS');
        need(s, 'LIFE_DURATION', ref, 'the lifetime to offer and accept', '3600,60:86400');
        const t = c.binding(s, 'LIFE_TYPE');
        if (t && t.value.trim().toUpperCase() === 'ANY') report('error', siteOf(t, ref), 'life-type-any', s, 'LIFE_TYPE', 'LIFE_TYPE cannot be ANY', 'write SECONDS or KILOBYTES');
        break;
      }
      case 'ipsec-connection': {
        const active = (c.getList('Phase 2', 'Connections') ?? []).some((n) => n.toLowerCase() === s.toLowerCase());
        if (active) {
          need(s, 'Phase', ref, 'isakmpd starts a connection only when its Phase is 2', '2');
          need(s, 'ISAKMP-peer', ref, 'the phase 1 peer to negotiate with', 'ISAKMP-peer-west');
          need(s, 'Configuration', ref, 'the Quick Mode proposals', 'Default-quick-mode');
        }
        const l = c.isDefined(s, 'Local-ID');
        const r = c.isDefined(s, 'Remote-ID');
        if (l !== r) {
          report('warning', siteOf(c.binding(s, l ? 'Local-ID' : 'Remote-ID'), ref), 'one-id', s, l ? 'Local-ID' : 'Remote-ID',
            `only ${l ? 'Local-ID' : 'Remote-ID'} is set; ${l ? 'the peer must then accept our address as the remote ID' : 'our own address is used as Local-ID (the road-warrior case)'}`, `set ${l ? 'Remote-ID' : 'Local-ID'} too, unless this is intended`);
        }
        break;
      }
      case 'ipsec-configuration':
        need(s, 'EXCHANGE_TYPE', ref, 'isakmpd needs it to start phase 2', 'QUICK_MODE');
        need(s, 'Suites', ref, 'the proposals to offer', 'QM-ESP-AES-128-SHA2-256-PFS-GRP14-SUITE');
        break;
      case 'ipsec-suite': {
        need(s, 'Protocols', ref, 'the protocols of this proposal', 'QM-ESP-AES-SHA-PFS');
        // BUGS in isakmpd.conf(5): one group per proposal, so PFS and non-PFS cannot be mixed.
        const groups = new Set<string>();
        for (const p of c.getList(s, 'Protocols') ?? []) for (const t of c.getList(p, 'Transforms') ?? []) groups.add((c.get(t, 'GROUP_DESCRIPTION') ?? 'none').toUpperCase());
        if (groups.size > 1) report('warning', siteOf(c.binding(s, 'Protocols'), ref), 'suite-groups', s, 'Protocols', `the transforms of one proposal use different groups (${[...groups].join(', ')}); isakmpd requires one group per proposal`, 'use the same PFS group in every transform of the suite');
        // isakmpd's generator sets GROUP_DESCRIPTION only for suites with a hash piece, so a generated
        // GCM/GMAC suite named -PFS negotiates without PFS; say so where the name is used.
        const q = /-SUITE$/i.test(s) ? parseQmBase(s.slice(0, -6)) : null;
        if (q?.pfs && !q.hash && groups.size === 1 && groups.has('NONE')) {
          report('warning', ref, 'pfs-without-group', s, undefined,
            `as in isakmpd, the generated suite ${s} carries no GROUP_DESCRIPTION (only suites with a hash piece get one), so it negotiates without PFS`,
            `write the suite's sections yourself with GROUP_DESCRIPTION=${q.group.group} in its transform, or drop -PFS from the name`);
        }
        break;
      }
      case 'ipsec-protocol': {
        need(s, 'PROTOCOL_ID', ref, 'ESP, AH or IPCOMP', 'IPSEC_ESP');
        need(s, 'Transforms', ref, 'the transforms to offer', 'QM-ESP-AES-SHA-XF');
        const proto = (c.get(s, 'PROTOCOL_ID') ?? '').trim().toUpperCase();
        const table = TRANSFORM_TABLES[proto];
        if (table) {
          for (const t of c.getList(s, 'Transforms') ?? []) {
            const b = c.binding(t, 'TRANSFORM_ID');
            if (!b) continue;
            const implemented = proto === 'IPSEC_ESP' ? ESP_IMPLEMENTED : proto === 'IPSEC_AH' ? AH_IMPLEMENTED : undefined;
            const key = `tid\0${t.toLowerCase()}\0${proto}`;
            if (visited.has(key)) continue;
            visited.add(key);
            symbolCheck(t, 'TRANSFORM_ID', b, table, siteOf(b, ref), implemented ? { implemented } : {});
          }
        }
        break;
      }
      case 'ipsec-transform':
        need(s, 'TRANSFORM_ID', ref, 'the algorithm of this transform', 'AES');
        break;
      case 'ipsec-id':
      case 'phase1-id': {
        if (!need(s, 'ID-type', ref, 'the kind of identity', kind === 'ipsec-id' ? 'IPV4_ADDR_SUBNET' : 'IPV4_ADDR')) break;
        const t = (c.get(s, 'ID-type') ?? '').trim().toUpperCase();
        if (t.endsWith('_SUBNET')) {
          need(s, 'Network', ref, `${t} needs a network`, '192.0.2.0');
          need(s, 'Netmask', ref, `${t} needs a netmask`, '255.255.255.0');
        } else if (t.endsWith('_ADDR')) need(s, 'Address', ref, `${t} needs an address`, '192.0.2.1');
        else if (['FQDN', 'USER_FQDN', 'KEY_ID', 'DER_ASN1_DN', 'DER_ASN1_GN'].includes(t)) need(s, 'Name', ref, `${t} needs a name`, t === 'USER_FQDN' ? 'user@example.org' : 'gw.example.org');
        if (kind === 'ipsec-id' && c.isDefined(s, 'Port') && !c.isDefined(s, 'Protocol')) {
          report('warning', siteOf(c.binding(s, 'Port'), ref), 'port-without-protocol', s, 'Port', 'Port is only used together with Protocol', 'add Protocol=tcp (or udp), or remove Port');
        }
        break;
      }
      default:
        break;
    }
  }

  for (const [name, kind] of ROOTS) if (c.hasSection(name)) visit(kind, name, fallbackSite);

  // Sections nothing refers to: Initiator-ID and IKECFG sections are found by name at run time; anything
  // else is dead text, most often a misspelt name.
  // Sample files often carry a catalogue of transforms and lifetimes, so unused sections make one warning.
  const unused: { name: string; site: Site }[] = [];
  for (const name of c.sections()) {
    if (used.has(name.toLowerCase())) continue;
    const first = c.sectionBindings(name).find((b) => !b.isDefault);
    if (!first) continue;
    const site = { file: first.origin.file, line: first.origin.line };
    if (IKECFG_PREFIX.test(name)) visit('ikecfg-id', name, site);
    else if (c.isDefined(name, 'Authentication') && (isIP(name) || name.includes('.') || name.includes('@'))) visit('initiator-id', name, site);
    else unused.push({ name, site });
  }
  if (unused.length === 1) {
    const u = unused[0]!;
    report('warning', u.site, 'unused-section', u.name, undefined, `section [${u.name}] is not used by any other section`, 'check the name where you meant to refer to it, or remove the section');
  } else if (unused.length > 1) {
    const shown = unused.slice(0, 8).map((u) => `[${u.name}] (line ${u.site.line})`).join(', ');
    report('warning', unused[0]!.site, 'unused-section', unused[0]!.name, undefined,
      `${unused.length} sections are not used by any other section: ${shown}${unused.length > 8 ? `, and ${unused.length - 8} more` : ''}`,
      'isakmpd ignores them; check the names where you meant to refer to them, or remove them');
  }
  return out;
}
