// Thin helpers over asn1js: strict whole-buffer DER decoding and access to a node's raw bytes, so the
// rest of the layer can compare names and verify signatures over exactly the bytes that were sent.
import * as asn1js from 'asn1js';

export type Node = asn1js.AsnType;

/** Decode one DER element that must span the whole buffer; throws with a reason otherwise. */
export function decodeDer(der: Uint8Array, what: string): Node {
  const view = new Uint8Array(der.buffer, der.byteOffset, der.byteLength);
  const r = asn1js.fromBER(view);
  if (r.offset === -1) throw new Error(`${what}: malformed DER (${r.result.error || 'decode error'})`);
  if (r.offset !== der.byteLength) throw new Error(`${what}: ${der.byteLength - r.offset} bytes of trailing data`);
  return r.result;
}

/** The complete TLV encoding of a decoded node. */
export const rawOf = (n: Node): Buffer => Buffer.from(n.valueBeforeDecodeView);

/** The content octets of a decoded node (its TLV minus tag and length). */
export function contentOf(n: Node): Buffer {
  const raw = rawOf(n);
  const hdr = n.idBlock.blockLength + n.lenBlock.blockLength;
  return raw.subarray(hdr);
}

export const tagClassOf = (n: Node): number => n.idBlock.tagClass; // 1 universal, 3 context
export const tagNumberOf = (n: Node): number => n.idBlock.tagNumber;

export function childrenOf(n: Node, what: string): Node[] {
  const v = (n.valueBlock as { value?: unknown }).value;
  if (!n.idBlock.isConstructed || !Array.isArray(v)) throw new Error(`${what}: expected a constructed element`);
  return v as Node[];
}

export function oidOf(n: Node, what: string): string {
  if (!(n instanceof asn1js.ObjectIdentifier)) throw new Error(`${what}: expected an OBJECT IDENTIFIER`);
  return n.valueBlock.toString();
}
