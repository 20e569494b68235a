// The number tables against the values printed in RFC 2408/2407/2409/3947/3706 and isakmpd's
// constant files, and the lookup helpers both ways.
import assert from 'node:assert/strict';
import {
  AhTransformId,
  EncapsulationMode,
  EspTransformId,
  ExchangeType,
  GroupDescription,
  IKE_ATTRIBUTES,
  IPSEC_ATTRIBUTES,
  IdType,
  IkeAuthMethod,
  IkeEncryption,
  IkeHash,
  IpsecAuthAlgorithm,
  NotifyType,
  PayloadType,
  attributeDef,
  attributeDictionaryFor,
  attributeValueName,
  attributeValueNumber,
  entriesOf,
  nameOf,
  nameOrNumber,
  numberOf,
  transformTableFor,
} from '../../src/isakmp/index.js';

describe('isakmp numbers', () => {
  it('exchange types (RFC 2408 3.1, RFC 2409 9)', () => {
    assert.deepEqual(
      ['BASE', 'ID_PROT', 'AUTH_ONLY', 'AGGRESSIVE', 'INFO', 'TRANSACTION', 'QUICK_MODE', 'NEW_GROUP_MODE'].map((n) => numberOf(ExchangeType, n)),
      [1, 2, 3, 4, 5, 6, 32, 33],
    );
  });
  it('payload types including NAT-T and its drafts', () => {
    assert.deepEqual([PayloadType.SA, PayloadType.KEY_EXCH, PayloadType.VENDOR, PayloadType.ATTRIBUTE, PayloadType.NAT_D, PayloadType.NAT_OA, PayloadType.NAT_D_DRAFT, PayloadType.NAT_OA_DRAFT], [1, 4, 13, 14, 20, 21, 130, 131]);
  });
  it('notify types: all 30 RFC 2408 errors, status and DOI values', () => {
    for (let n = 1; n <= 30; n++) assert.ok(nameOf(NotifyType, n), `notify ${n}`);
    assert.equal(NotifyType.PAYLOAD_MALFORMED, 16);
    assert.equal(NotifyType.UNEQUAL_PAYLOAD_LENGTHS, 30);
    assert.deepEqual([NotifyType.STATUS_CONNECTED, NotifyType.RESPONDER_LIFETIME, NotifyType.REPLAY_STATUS, NotifyType.INITIAL_CONTACT, NotifyType.R_U_THERE, NotifyType.R_U_THERE_ACK], [16384, 24576, 24577, 24578, 36136, 36137]);
  });
  it('ID types with isakmpd names and the RFC spellings as aliases', () => {
    assert.deepEqual(entriesOf(IdType).map(([, n]) => n), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(numberOf(IdType, 'IPV4_ADDR_RANGE'), 7);
    assert.equal(nameOf(IdType, 7), 'IPV4_RANGE');
  });
  it('IKE attribute values (RFC 2409 appendix A)', () => {
    assert.deepEqual(['DES_CBC', 'IDEA_CBC', 'BLOWFISH_CBC', 'RC5_R16_B64_CBC', '3DES_CBC', 'CAST_CBC', 'AES_CBC'].map((n) => numberOf(IkeEncryption, n)), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(['MD5', 'SHA', 'TIGER', 'SHA2_256', 'SHA2_384', 'SHA2_512'].map((n) => numberOf(IkeHash, n)), [1, 2, 3, 4, 5, 6]);
    assert.equal(numberOf(IkeAuthMethod, 'RSA_REV_ENC'), 5);
    assert.equal(nameOf(IkeAuthMethod, 5), 'RSA_ENC_REV');
    assert.equal(IkeAuthMethod.XAUTH_INIT_PRE_SHARED, 65001);
    assert.deepEqual([GroupDescription.MODP_768, GroupDescription.MODP_1024, GroupDescription.MODP_1536, GroupDescription.MODP_2048, GroupDescription.MODP_8192, GroupDescription.ECP_256, GroupDescription.ECP_521, GroupDescription.ECP_192, GroupDescription.BP_512], [1, 2, 5, 14, 18, 19, 21, 25, 30]);
  });
  it('IPsec DOI values (RFC 2407 4.5, RFC 3947)', () => {
    assert.deepEqual([EncapsulationMode.TUNNEL, EncapsulationMode.TRANSPORT, EncapsulationMode.UDP_ENCAP_TUNNEL, EncapsulationMode.UDP_ENCAP_TRANSPORT, EncapsulationMode.UDP_ENCAP_TUNNEL_DRAFT, EncapsulationMode.UDP_ENCAP_TRANSPORT_DRAFT], [1, 2, 3, 4, 61443, 61444]);
    assert.deepEqual(['HMAC_MD5', 'HMAC_SHA', 'DES_MAC', 'KPDK', 'HMAC_SHA2_256', 'HMAC_SHA2_384', 'HMAC_SHA2_512', 'HMAC_RIPEMD', 'AES_XCBC_MAC'].map((n) => numberOf(IpsecAuthAlgorithm, n)), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(['3DES', 'AES', 'AES_CTR', 'AES_GCM_8', 'AES_GCM_12', 'AES_GCM_16', 'AES_GMAC', 'NULL', 'CAST', 'BLOWFISH', 'DES'].map((n) => numberOf(EspTransformId, n)), [3, 12, 13, 18, 19, 20, 23, 11, 6, 7, 2]);
    assert.deepEqual(['MD5', 'SHA', 'SHA2_256', 'SHA2_384', 'SHA2_512', 'RIPEMD'].map((n) => numberOf(AhTransformId, n)), [2, 3, 5, 6, 7, 8]);
  });
  it('name lookup is case-insensitive and treats - and _ alike', () => {
    assert.equal(numberOf(IkeEncryption, 'aes-cbc'), 7);
    assert.equal(numberOf(ExchangeType, 'quick_mode'), 32);
    assert.equal(numberOf(ExchangeType, 'main'), 2);
    assert.equal(numberOf(IkeEncryption, 'nonsense'), undefined);
    assert.equal(nameOrNumber(ExchangeType, 99), '99');
  });
  it('attribute dictionaries know forms and value tables', () => {
    assert.equal(attributeDef(IKE_ATTRIBUTES, 'LIFE_DURATION')?.form, 'variable');
    assert.equal(attributeDef(IKE_ATTRIBUTES, 1)?.form, 'basic');
    assert.equal(attributeDef(IPSEC_ATTRIBUTES, 'sa_life_duration')?.type, 2);
    assert.equal(attributeValueName(IKE_ATTRIBUTES, 4, 14), 'MODP_2048');
    assert.equal(attributeValueName(IPSEC_ATTRIBUTES, 4, 61443), 'UDP_ENCAP_TUNNEL_DRAFT');
    assert.equal(attributeValueNumber(IPSEC_ATTRIBUTES, 'AUTHENTICATION_ALGORITHM', 'hmac-sha2-256'), 5);
    assert.equal(attributeValueName(IKE_ATTRIBUTES, 12, 3600), undefined);
    assert.equal(attributeDictionaryFor(1), IKE_ATTRIBUTES);
    assert.equal(attributeDictionaryFor(3), IPSEC_ATTRIBUTES);
    assert.equal(transformTableFor(3), EspTransformId);
  });
  it('tables are frozen and enumerate only their canonical entries', () => {
    assert.ok(Object.isFrozen(IkeHash));
    assert.deepEqual(Object.keys(IkeHash), ['MD5', 'SHA', 'TIGER', 'SHA2_256', 'SHA2_384', 'SHA2_512']);
  });
});
