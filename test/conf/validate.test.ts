// Validation: every problem carries file:line, the section and tag, and says what to write instead.
import assert from 'node:assert/strict';
import { parseConfigText, formatDiagnostic, type Diagnostic } from '../../src/conf/index.js';

const BASE = `[Phase 1]
198.18.0.2=peer-east

[Phase 2]
Connections=west-east

[peer-east]
Phase=1
Address=198.18.0.2
Configuration=mm
Authentication=k

[mm]
EXCHANGE_TYPE=ID_PROT
Transforms=AES-128-SHA-GRP14

[west-east]
Phase=2
ISAKMP-peer=peer-east
Configuration=qm
Local-ID=net-west
Remote-ID=net-east

[qm]
EXCHANGE_TYPE=QUICK_MODE
Suites=QM-ESP-AES-128-SHA-PFS-GRP14-SUITE

[net-west]
ID-type=IPV4_ADDR_SUBNET
Network=192.0.2.0
Netmask=255.255.255.0

[net-east]
ID-type=IPV4_ADDR_SUBNET
Network=198.51.100.0
Netmask=255.255.255.0
`;

const check = (text: string): Diagnostic[] => parseConfigText(text, 'test.conf').diagnostics;
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const errors = (ds: Diagnostic[]): Diagnostic[] => ds.filter((d) => d.severity === 'error');

describe('conf validation', () => {
  it('the base configuration is clean', () => {
    assert.deepEqual(check(BASE), []);
  });

  it('an unknown TRANSFORM_ID names file:line, section, tag and lists the valid names', () => {
    const text = BASE.replace('Suites=QM-ESP-AES-128-SHA-PFS-GRP14-SUITE', 'Suites=my-suite') +
      '[my-suite]\nProtocols=my-esp\n[my-esp]\nPROTOCOL_ID=IPSEC_ESP\nTransforms=my-xf\n[my-xf]\nTRANSFORM_ID=AES256\nENCAPSULATION_MODE=TUNNEL\n';
    const [d, ...rest] = errors(check(text));
    assert.equal(rest.length, 0);
    assert.equal(d!.file, 'test.conf');
    assert.equal(d!.line, lineOf(text, 'TRANSFORM_ID=AES256'));
    assert.equal(d!.section, 'my-xf');
    assert.equal(d!.tag, 'TRANSFORM_ID');
    assert.match(d!.message, /unknown TRANSFORM_ID 'AES256'/);
    for (const name of ['3DES', 'AES', 'AES_CTR', 'AES_GCM_16', 'NULL']) assert.ok(d!.hint!.split(/[ ,]+/).includes(name), name);
    assert.match(formatDiagnostic(d!), /^test\.conf:\d+: error: \[my-xf\]:TRANSFORM_ID: unknown TRANSFORM_ID/);
  });

  it('an AH transform is checked against the AH table, not ESP', () => {
    const text = BASE.replace('Suites=QM-ESP-AES-128-SHA-PFS-GRP14-SUITE', 'Suites=s') + '[s]\nProtocols=p\n[p]\nPROTOCOL_ID=IPSEC_AH\nTransforms=x\n[x]\nTRANSFORM_ID=AES\n';
    const [d] = errors(check(text));
    assert.match(d!.message, /unknown TRANSFORM_ID 'AES'/);
    assert.match(d!.hint!, /SHA2_256/);
  });

  it('a symbolic value spelt in a way isakmpd does not know gets its isakmpd spelling as hint', () => {
    const text = BASE.replace('Transforms=AES-128-SHA-GRP14', 'Transforms=t') + '[t]\nENCRYPTION_ALGORITHM=AES\nHASH_ALGORITHM=SHA\nAUTHENTICATION_METHOD=PRE_SHARED\nGROUP_DESCRIPTION=MODP_2048\n';
    const [d] = errors(check(text));
    assert.equal(d!.tag, 'ENCRYPTION_ALGORITHM');
    assert.equal(d!.hint, 'isakmpd spells it AES_CBC');
  });

  it('symbolic values match case-insensitively, as isakmpd strcasecmp', () => {
    const text = BASE.replace('EXCHANGE_TYPE=QUICK_MODE', 'EXCHANGE_TYPE=quick_mode');
    assert.deepEqual(errors(check(text)), []);
  });

  it('a missing referenced section is an error at the referring line with a did-you-mean', () => {
    const text = BASE.replace('Connections=west-east', 'Connections=west-eats');
    const ds = check(text);
    const d = errors(ds).find((x) => x.code === 'missing-section')!;
    assert.equal(d.line, lineOf(text, 'Connections=west-eats'));
    assert.equal(d.section, 'Phase 2');
    assert.equal(d.tag, 'Connections');
    assert.equal(d.hint, 'did you mean [west-east]?');
  });

  it('a misspelt generated suite name explains the grammar rule it breaks', () => {
    const text = BASE.replace('QM-ESP-AES-128-SHA-PFS-GRP14-SUITE', 'QM-ESP-AESGCM-128-SHA-SUITE');
    const d = errors(check(text)).find((x) => x.code === 'missing-section')!;
    assert.match(d.message, /not an auto-generated name/);
    assert.match(d.hint!, /GCM and GMAC suites take no hash/);
    const t = BASE.replace('QM-ESP-AES-128-SHA-PFS-GRP14-SUITE', 'QM-ESP-AES-128-SHA-GRP14-SUITE');
    assert.match(errors(check(t)).find((x) => x.code === 'missing-section')!.hint!, /only allowed after -PFS/);
    const m = BASE.replace('Transforms=AES-128-SHA-GRP14', 'Transforms=AES-128-SHA1-GRP14');
    assert.match(errors(check(m)).find((x) => x.code === 'missing-section')!.hint!, /<cipher>-<hash>\[-GRPn\]/);
  });

  it('a misspelt generated name gets the closest generated name as suggestion', () => {
    const m = BASE.replace('Transforms=AES-128-SHA-GRP14', 'Transforms=AES-256-SHA256-GRP14');
    assert.match(errors(check(m))[0]!.hint!, /^did you mean AES-256-SHA2-256-GRP14\?/);
    const q = BASE.replace('QM-ESP-AES-128-SHA-PFS-GRP14-SUITE', 'QM-ESP-AES-GCM-128-SUITE');
    assert.match(errors(check(q))[0]!.hint!, /^did you mean QM-ESP-AESGCM-128-SUITE\?/);
  });

  it('a misspelt tag is a warning with the known tag to write instead', () => {
    const text = BASE.replace('Remote-ID=net-east', 'Remote-ID=net-east\nRemote-Id=net-east\nRemoteID=net-east');
    const d = check(text).find((x) => x.code === 'unknown-tag')!;
    assert.equal(d.severity, 'warning');
    assert.equal(d.tag, 'RemoteID');
    assert.equal(d.hint, 'did you mean Remote-ID=?');
    assert.ok(check(text).some((x) => x.code === 'duplicate-tag' && x.tag === 'Remote-Id'));
  });

  it('required tags: an active connection needs Phase=2, ISAKMP-peer and Configuration', () => {
    const text = BASE.replace('Phase=2\nISAKMP-peer=peer-east\n', '');
    const ds = errors(check(text)).filter((d) => d.code === 'missing-tag');
    assert.deepEqual(ds.map((d) => d.tag).sort(), ['ISAKMP-peer', 'Phase']);
    assert.ok(ds.every((d) => d.section === 'west-east' && d.line === lineOf(text, 'Configuration=qm')));
    assert.match(ds[0]!.hint!, /^add /);
  });

  it('Phase must be 1 in a peer and 2 in a connection', () => {
    const d = errors(check(BASE.replace('Phase=1', 'Phase=2')))[0]!;
    assert.equal(d.code, 'out-of-range');
    assert.equal(d.hint, 'write Phase=1');
  });

  it('numbers: non-numeric, bad offer/accept and key lengths that are not a multiple of 8', () => {
    const t1 = BASE + '[General]\nRetransmits=three\n';
    assert.equal(errors(check(t1))[0]!.code, 'not-a-number');
    const t2 = BASE.replace('Transforms=AES-128-SHA-GRP14', 'Transforms=AES-128-SHA-GRP14,t') +
      '[t]\nENCRYPTION_ALGORITHM=AES_CBC\nKEY_LENGTH=130\nHASH_ALGORITHM=SHA\nAUTHENTICATION_METHOD=PRE_SHARED\nGROUP_DESCRIPTION=MODP_2048\nLife=L\n[L]\nLIFE_TYPE=SECONDS\nLIFE_DURATION=3600,60\n';
    assert.deepEqual(errors(check(t2)).map((d) => [d.code, d.section]), [['key-length', 't'], ['bad-number-spec', 'L']]);
  });

  it('LIFE_TYPE=ANY is refused; LIFE_DURATION=ANY is fine', () => {
    const t = BASE.replace('Transforms=AES-128-SHA-GRP14', 'Transforms=t') +
      '[t]\nENCRYPTION_ALGORITHM=AES_CBC\nHASH_ALGORITHM=SHA\nAUTHENTICATION_METHOD=PRE_SHARED\nGROUP_DESCRIPTION=MODP_2048\nLife=L\n[L]\nLIFE_TYPE=ANY\nLIFE_DURATION=ANY\n';
    assert.deepEqual(errors(check(t)).map((d) => d.code), ['unknown-value', 'life-type-any']);
  });

  it('Aggressive Mode transforms must share one group', () => {
    const t = BASE.replace('EXCHANGE_TYPE=ID_PROT\nTransforms=AES-128-SHA-GRP14', 'EXCHANGE_TYPE=AGGRESSIVE\nTransforms=AES-128-SHA-GRP14,AES-128-SHA-GRP5');
    assert.equal(errors(check(t))[0]!.code, 'aggressive-groups');
  });

  it('a bad hex pre-shared key and a bad address are errors', () => {
    const t = BASE.replace('Authentication=k', 'Authentication=0xnothex').replace('Address=198.18.0.2', 'Address=198.18.0.300');
    assert.deepEqual(errors(check(t)).map((d) => d.code).sort(), ['bad-address', 'bad-hex-key']);
  });

  it('ID sections: *_SUBNET needs Network and Netmask; FQDN is not a phase 2 ID type in isakmpd', () => {
    const t = BASE.replace('Network=192.0.2.0\n', '');
    assert.deepEqual(errors(check(t)).map((d) => [d.code, d.tag]), [['missing-tag', 'Network']]);
    const f = BASE.replace('ID-type=IPV4_ADDR_SUBNET\nNetwork=192.0.2.0', 'ID-type=FQDN\nNetwork=192.0.2.0');
    const d = errors(check(f))[0]!;
    assert.equal(d.tag, 'ID-type');
    assert.match(d.hint!, /IPV4_ADDR_SUBNET/);
  });

  it('only one of Local-ID / Remote-ID gives the road-warrior warning', () => {
    const ds = check(BASE.replace('Local-ID=net-west\n', ''));
    assert.deepEqual(ds.map((d) => [d.severity, d.code]), [['warning', 'one-id'], ['warning', 'unused-section']]);
  });

  it('[Phase 1] tags other than Default must be addresses; the mapped peer should have the same Address', () => {
    const t = BASE.replace('198.18.0.2=peer-east', '198.18.0.3=peer-east\nnot-an-ip=peer-east');
    const codes = check(t).map((d) => d.code).sort();
    assert.deepEqual(codes, ['phase1-address-mismatch', 'phase1-not-address']);
  });

  it('sections nobody refers to are reported, but Initiator-ID and IKECFG sections are recognised', () => {
    const t = BASE + '[foo.bar.org]\nAuthentication=k2\n[user@foo.bar.org]\nAuthentication=k3\n[ipv4/192.0.2.10]\nAddress=192.0.2.10\n[leftover]\nx=1\n';
    const ds = check(t);
    assert.deepEqual(ds.map((d) => [d.code, d.section]), [['unused-section', 'leftover']]);
    assert.equal(ds[0]!.line, lineOf(t, 'x=1'));
  });

  it('[General] Loglevel items must be class=level and Listen-on items addresses or interfaces', () => {
    const text = BASE + '[General]\nLoglevel=A=50,misc\nListen-on=198.18.0.1,em0,not an address\n';
    const ds = check(text);
    assert.deepEqual(ds.map((d) => [d.code, d.line]), [['bad-loglevel', lineOf(text, 'Loglevel=')], ['bad-listen-on', lineOf(text, 'Listen-on=')]]);
  });

  it('built-in defaults never produce diagnostics on their own', () => {
    assert.deepEqual(check(''), []);
  });
});
