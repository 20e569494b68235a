// Auto-generated Main Mode transforms and Quick Mode suites, checked piece by piece against the table in
// isakmpd.conf(5) "AUTO-GENERATED PARTS" (the expected values below are written from that table, not
// from the implementation's tables).
import assert from 'node:assert/strict';
import { parseConfigText, describeGenerated, defaultsOnlyConfig } from '../../src/conf/index.js';

const gen = (name: string): Record<string, string> | null => {
  const g = describeGenerated(name);
  return g ? Object.fromEntries(g.tags) : null;
};

const MM_CIPHER: Record<string, { enc: string; kl?: string }> = {
  BLF: { enc: 'BLOWFISH_CBC', kl: '128,96:192' },
  '3DES': { enc: '3DES_CBC' },
  CAST: { enc: 'CAST_CBC' },
  AES: { enc: 'AES_CBC', kl: '128,128:256' },
  'AES-128': { enc: 'AES_CBC', kl: '128,128:128' },
  'AES-192': { enc: 'AES_CBC', kl: '192,192:192' },
  'AES-256': { enc: 'AES_CBC', kl: '256,256:256' },
};
const MM_HASH: Record<string, string> = { MD5: 'MD5', SHA: 'SHA', 'SHA2-256': 'SHA2_256', 'SHA2-384': 'SHA2_384', 'SHA2-512': 'SHA2_512' };
const GROUP: Record<string, string> = {
  '': 'MODP_1024', GRP1: 'MODP_768', GRP2: 'MODP_1024', GRP5: 'MODP_1536', GRP14: 'MODP_2048', GRP15: 'MODP_3072',
  GRP16: 'MODP_4096', GRP17: 'MODP_6144', GRP18: 'MODP_8192', GRP19: 'ECP_256', GRP20: 'ECP_384', GRP21: 'ECP_521',
  GRP25: 'ECP_192', GRP26: 'ECP_224', GRP27: 'BP_224', GRP28: 'BP_256', GRP29: 'BP_384', GRP30: 'BP_512',
};
const MM_AUTH: Record<string, string> = { '': 'PRE_SHARED', DSS: 'DSS', RSA_SIG: 'RSA_SIG' };

const QM_CIPHER: Record<string, { id: string; kl?: string; aead?: boolean }> = {
  '3DES': { id: '3DES' }, CAST: { id: 'CAST' }, BLF: { id: 'BLOWFISH', kl: '128,96:192' },
  AES: { id: 'AES', kl: '128,128:256' }, 'AES-128': { id: 'AES', kl: '128,128:128' }, 'AES-192': { id: 'AES', kl: '192,192:192' },
  'AES-256': { id: 'AES', kl: '256,256:256' }, AESCTR: { id: 'AES_CTR' }, 'AESCTR-128': { id: 'AES_CTR', kl: '128,128:128' },
  'AESCTR-192': { id: 'AES_CTR', kl: '192,192:192' }, 'AESCTR-256': { id: 'AES_CTR', kl: '256,256:256' },
  'AESGCM-128': { id: 'AES_GCM_16', kl: '128,128:128', aead: true }, 'AESGCM-192': { id: 'AES_GCM_16', kl: '192,192:192', aead: true },
  'AESGCM-256': { id: 'AES_GCM_16', kl: '256,256:256', aead: true }, 'AESGMAC-128': { id: 'AES_GMAC', kl: '128,128:128', aead: true },
  'AESGMAC-192': { id: 'AES_GMAC', kl: '192,192:192', aead: true }, 'AESGMAC-256': { id: 'AES_GMAC', kl: '256,256:256', aead: true },
  NULL: { id: 'NULL' },
};
const QM_HASH: Record<string, { auth: string; ah: string }> = {
  MD5: { auth: 'HMAC_MD5', ah: 'MD5' }, SHA: { auth: 'HMAC_SHA', ah: 'SHA' }, RIPEMD: { auth: 'HMAC_RIPEMD', ah: 'RIPEMD' },
  'SHA2-256': { auth: 'HMAC_SHA2_256', ah: 'SHA2_256' }, 'SHA2-384': { auth: 'HMAC_SHA2_384', ah: 'SHA2_384' }, 'SHA2-512': { auth: 'HMAC_SHA2_512', ah: 'SHA2_512' },
};
const dash = (p: string): string => (p ? `-${p}` : '');

describe('conf auto-generated Main Mode transforms', () => {
  for (const [c, cv] of Object.entries(MM_CIPHER)) {
    it(`cipher piece ${c} -> ENCRYPTION_ALGORITHM=${cv.enc}${cv.kl ? `, KEY_LENGTH=${cv.kl}` : ', no KEY_LENGTH'}`, () => {
      const g = gen(`${c}-SHA`)!;
      assert.equal(g.ENCRYPTION_ALGORITHM, cv.enc);
      assert.equal(g.KEY_LENGTH, cv.kl);
    });
  }
  for (const [h, hv] of Object.entries(MM_HASH)) {
    it(`hash piece -${h} -> HASH_ALGORITHM=${hv}`, () => assert.equal(gen(`AES-${h}`)!.HASH_ALGORITHM, hv));
  }
  for (const [g, gv] of Object.entries(GROUP)) {
    it(`group piece ${g || '(none)'} -> GROUP_DESCRIPTION=${gv}`, () => assert.equal(gen(`AES-SHA${dash(g)}`)!.GROUP_DESCRIPTION, gv));
  }
  for (const [a, av] of Object.entries(MM_AUTH)) {
    it(`auth piece ${a || '(none)'} -> AUTHENTICATION_METHOD=${av}`, () => assert.equal(gen(`3DES-SHA-GRP14${dash(a)}`)!.AUTHENTICATION_METHOD, av));
  }

  it('every generated transform has Life=LIFE_MAIN_MODE and exactly the documented tags', () => {
    assert.deepEqual(gen('AES-256-SHA2-256-GRP14-RSA_SIG'), {
      ENCRYPTION_ALGORITHM: 'AES_CBC', KEY_LENGTH: '256,256:256', HASH_ALGORITHM: 'SHA2_256',
      AUTHENTICATION_METHOD: 'RSA_SIG', GROUP_DESCRIPTION: 'MODP_2048', Life: 'LIFE_MAIN_MODE',
    });
  });

  it('generates every combination of the grammar (7 x 5 x 18 x 3 = 1890 names) and nothing in the wrong order', () => {
    let n = 0;
    for (const c of Object.keys(MM_CIPHER)) for (const h of Object.keys(MM_HASH)) for (const g of Object.keys(GROUP)) for (const a of Object.keys(MM_AUTH)) {
      const name = `${c}-${h}${dash(g)}${dash(a)}`;
      assert.ok(gen(name), name);
      n++;
    }
    assert.equal(n, 1890);
    for (const bad of ['AES', 'AES-SHA-RSA_SIG-GRP14', 'SHA-AES', 'AES-512-SHA', 'AES-SHA-GRP3', 'DES-SHA', 'AES-SHA-RSA', 'AES-SHA-', '3DES-SHA2']) {
      assert.equal(gen(bad), null, bad);
    }
  });

  it('names match case-insensitively and values use the canonical spelling', () => {
    assert.equal(gen('aes-128-sha2-256-grp14')!.GROUP_DESCRIPTION, 'MODP_2048');
    assert.equal(describeGenerated('aes-sha')!.name, 'AES-SHA');
  });
});

describe('conf auto-generated Quick Mode suites', () => {
  it('a suite name generates the suite, protocol and transform sections', () => {
    assert.deepEqual(gen('QM-ESP-AES-128-SHA2-256-PFS-GRP14-SUITE'), { Protocols: 'QM-ESP-AES-128-SHA2-256-PFS-GRP14' });
    assert.deepEqual(gen('QM-ESP-AES-128-SHA2-256-PFS-GRP14'), { PROTOCOL_ID: 'IPSEC_ESP', Transforms: 'QM-ESP-AES-128-SHA2-256-PFS-GRP14-XF' });
    assert.deepEqual(gen('QM-ESP-AES-128-SHA2-256-PFS-GRP14-XF'), {
      TRANSFORM_ID: 'AES', KEY_LENGTH: '128,128:128', ENCAPSULATION_MODE: 'TUNNEL',
      AUTHENTICATION_ALGORITHM: 'HMAC_SHA2_256', GROUP_DESCRIPTION: 'MODP_2048', Life: 'LIFE_QUICK_MODE',
    });
  });

  for (const [c, cv] of Object.entries(QM_CIPHER)) {
    it(`ESP cipher piece -${c} -> TRANSFORM_ID=${cv.id}${cv.kl ? `, KEY_LENGTH=${cv.kl}` : ''}`, () => {
      const g = gen(`QM-ESP-${c}${cv.aead ? '' : '-SHA'}-XF`)!;
      assert.equal(g.TRANSFORM_ID, cv.id);
      assert.equal(g.KEY_LENGTH, cv.kl);
    });
  }
  for (const [h, hv] of Object.entries(QM_HASH)) {
    it(`hash piece -${h} -> AUTHENTICATION_ALGORITHM=${hv.auth}; AH TRANSFORM_ID=${hv.ah}`, () => {
      assert.equal(gen(`QM-ESP-AES-${h}-XF`)!.AUTHENTICATION_ALGORITHM, hv.auth);
      const ah = gen(`QM-AH-${h}-XF`)!;
      assert.equal(ah.TRANSFORM_ID, hv.ah);
      assert.equal(ah.AUTHENTICATION_ALGORITHM, hv.auth);
      assert.equal(gen(`QM-AH-${h}`)!.PROTOCOL_ID, 'IPSEC_AH');
    });
  }
  for (const [g, gv] of Object.entries(GROUP)) {
    it(`PFS group piece ${g || '(none)'} -> GROUP_DESCRIPTION=${gv}`, () => assert.equal(gen(`QM-ESP-AES-SHA-PFS${dash(g)}-XF`)!.GROUP_DESCRIPTION, gv));
  }

  it('-TRP selects ENCAPSULATION_MODE=TRANSPORT, its absence TUNNEL', () => {
    assert.equal(gen('QM-ESP-TRP-AES-SHA-XF')!.ENCAPSULATION_MODE, 'TRANSPORT');
    assert.equal(gen('QM-AH-TRP-SHA-XF')!.ENCAPSULATION_MODE, 'TRANSPORT');
    assert.equal(gen('QM-ESP-AES-SHA-XF')!.ENCAPSULATION_MODE, 'TUNNEL');
  });

  it('without -PFS there is no GROUP_DESCRIPTION, and every transform has Life=LIFE_QUICK_MODE', () => {
    const g = gen('QM-ESP-AES-SHA-XF')!;
    assert.equal(g.GROUP_DESCRIPTION, undefined);
    assert.equal(g.Life, 'LIFE_QUICK_MODE');
  });

  it('ESP without a hash has no AUTHENTICATION_ALGORITHM', () => {
    assert.equal(gen('QM-ESP-AES-XF')!.AUTHENTICATION_ALGORITHM, undefined);
    assert.ok(gen('QM-ESP-AESGCM-128-SUITE'));
  });

  it('quirk: hash-less PFS names carry no group, so they give no PFS', () => {
    const g = gen('QM-ESP-AESGCM-128-PFS-GRP14-XF')!;
    assert.equal(g.GROUP_DESCRIPTION, undefined);
    assert.equal(gen('QM-ESP-AES-PFS-XF')!.GROUP_DESCRIPTION, undefined);
  });

  it('generation rules: AH needs a hash and no cipher, ESP needs a cipher, GRP only after PFS, GCM/GMAC no hash', () => {
    for (const bad of ['QM-AH-SUITE', 'QM-AH-AES-SHA-SUITE', 'QM-ESP-SHA-SUITE', 'QM-ESP-AES-SHA-GRP14-SUITE',
      'QM-ESP-AESGCM-128-SHA-SUITE', 'QM-ESP-AESGMAC-256-SHA2-256-SUITE', 'QM-ESP-DES-SHA-SUITE',
      'QM-ESP-AES-SHA-PFS-GRP3-SUITE', 'QM-ESP-AESGCM-SUITE', 'QM-AH-MD5-ESP-3DES-SHA-SUITE']) {
      assert.equal(gen(bad), null, bad);
    }
    assert.equal(describeGenerated('QM-ESP-AES-SHA-PFS')?.kind, 'ipsec-protocol');
  });

  it('the man page examples are generated', () => {
    for (const n of ['QM-ESP-3DES-SHA-PFS-SUITE', 'QM-ESP-AES-SHA-PFS-SUITE', 'QM-ESP-AES-128-SHA-SUITE', 'QM-AH-MD5-SUITE']) assert.ok(gen(n), n);
    assert.equal(gen('QM-ESP-3DES-SHA-PFS-XF')!.GROUP_DESCRIPTION, 'MODP_1024', '-PFS without a group means MODP_1024');
  });

  it('counts: the grammar yields the same number of suites as isakmpd\'s generator loops', () => {
    let esp = 0;
    let ah = 0;
    for (const trp of ['', '-TRP']) for (const pfs of [false, true]) for (const g of Object.keys(GROUP)) {
      if (!pfs && g) continue;
      const tail = `${pfs ? '-PFS' : ''}${dash(g)}-SUITE`;
      for (const [c, cv] of Object.entries(QM_CIPHER)) for (const h of ['', ...Object.keys(QM_HASH)]) {
        if (cv.aead && h) continue;
        assert.ok(gen(`QM-ESP${trp}-${c}${dash(h)}${tail}`));
        esp++;
      }
      for (const h of Object.keys(QM_HASH)) {
        assert.ok(gen(`QM-AH${trp}-${h}${tail}`));
        ah++;
      }
    }
    // Per mode: 1 non-PFS slot + 18 PFS group slots; per slot 18 ciphers x 7 hash choices minus 6 AEAD x 6 hashes.
    assert.equal(esp, 2 * (1 + 18) * (18 * 7 - 6 * 6));
    assert.equal(ah, 2 * (1 + 18) * 6);
  });

  it('a file section with a generated name keeps generated values for the tags it does not set', () => {
    const { config } = parseConfigText('[AES-SHA]\nLife=MY-LIFE\n[MY-LIFE]\nLIFE_TYPE=SECONDS\nLIFE_DURATION=60\n', 'f', { noValidate: true });
    assert.equal(config.get('AES-SHA', 'Life'), 'MY-LIFE');
    assert.equal(config.get('AES-SHA', 'ENCRYPTION_ALGORITHM'), 'AES_CBC');
    assert.equal(config.binding('AES-SHA', 'HASH_ALGORITHM')?.generated, true);
  });

  it('generated sections exist for lookups but are not listed as stored sections', () => {
    const c = defaultsOnlyConfig();
    assert.equal(c.hasSection('QM-ESP-AES-SHA-PFS-SUITE'), true);
    assert.equal(c.sections().includes('QM-ESP-AES-SHA-PFS-SUITE'), false);
    assert.equal(c.hasSection('QM-ESP-XYZ-SUITE'), false);
  });
});
