// Public face of the ISAKMP wire-format module.
export * from './numbers.js';
export * from './types.js';
export { IsakmpError, isIsakmpError, toResult, type DecodeResult } from './errors.js';
export {
  HEADER_LENGTH,
  ISAKMP_MAJOR,
  ISAKMP_MINOR,
  decodeHeader,
  decodeMessage,
  tryDecodeMessage,
  decodePayloads,
  encodeMessage,
  encodePayloads,
  makeHeader,
  findPayload,
  findPayloads,
  hasPayload,
  payloadSpan,
  type DecodeOptions,
  type PayloadSpan,
} from './message.js';
export { FRAGMENT_LAST, LIMITS, attr, attrNumber } from './payloads.js';
export * from './vendor.js';
export * from './natt.js';
export { toJson, hex } from './json.js';
export { describeHeader, describeMessage, describePayload, summariseMessage } from './describe.js';
