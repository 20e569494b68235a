// Exchanges as data: which payloads each message must and may carry, checked before any handler runs
// (isakmpd exchange.c scripts, strongSwan payload rules). AUTH means HASH (PSK) or SIG.
import { refuse, type Refusal } from './types.js';
import { PayloadType, ExchangeType } from '../isakmp/numbers.js';

/** A payload type by its name in src/isakmp's table. */
type PayloadName = Extract<keyof typeof PayloadType, string>;
type Want = PayloadName | 'AUTH';
export interface Step {
  by: 'initiator' | 'responder';
  must: Want[];
  may: PayloadName[];
  encrypted?: boolean;
}
export type Script = Step[];

export const MAIN_MODE: Script = [
  { by: 'initiator', must: ['SA'], may: ['VENDOR'] },
  { by: 'responder', must: ['SA'], may: ['VENDOR'] },
  { by: 'initiator', must: ['KEY_EXCH', 'NONCE'], may: ['NAT_D', 'NAT_D_DRAFT', 'CERT_REQ', 'VENDOR'] },
  { by: 'responder', must: ['KEY_EXCH', 'NONCE'], may: ['NAT_D', 'NAT_D_DRAFT', 'CERT_REQ', 'VENDOR'] },
  // CR may come again with the certificate (strongSwan sends it in message 5)
  { by: 'initiator', must: ['ID', 'AUTH'], may: ['CERT', 'CERT_REQ', 'NOTIFY', 'VENDOR'], encrypted: true },
  { by: 'responder', must: ['ID', 'AUTH'], may: ['CERT', 'CERT_REQ', 'NOTIFY', 'VENDOR'], encrypted: true },
];

export const AGGRESSIVE_MODE: Script = [
  { by: 'initiator', must: ['SA', 'KEY_EXCH', 'NONCE', 'ID'], may: ['VENDOR', 'CERT_REQ'] },
  { by: 'responder', must: ['SA', 'KEY_EXCH', 'NONCE', 'ID', 'AUTH'], may: ['VENDOR', 'NAT_D', 'NAT_D_DRAFT', 'CERT', 'CERT_REQ', 'NOTIFY'] },
  { by: 'initiator', must: ['AUTH'], may: ['NAT_D', 'NAT_D_DRAFT', 'CERT', 'NOTIFY', 'VENDOR'] },
];

// Two ID payloads (IDci, IDcr) are optional together; KE is present exactly when PFS is on.
export const QUICK_MODE: Script = [
  { by: 'initiator', must: ['HASH', 'SA', 'NONCE'], may: ['KEY_EXCH', 'ID', 'NOTIFY', 'NAT_OA', 'NAT_OA_DRAFT'], encrypted: true },
  { by: 'responder', must: ['HASH', 'SA', 'NONCE'], may: ['KEY_EXCH', 'ID', 'NOTIFY', 'NAT_OA', 'NAT_OA_DRAFT'], encrypted: true },
  { by: 'initiator', must: ['HASH'], may: [], encrypted: true },
];

export const SCRIPTS: Record<number, Script> = {
  [ExchangeType.ID_PROT]: MAIN_MODE,
  [ExchangeType.AGGRESSIVE]: AGGRESSIVE_MODE,
  [ExchangeType.QUICK_MODE]: QUICK_MODE,
};

/** A step's payload names as numbers, worked out once per step (every received message is checked). */
interface CompiledStep {
  must: { name: Want; types: number[] }[];
  allowed: Set<number>;
}
const compiled = new WeakMap<Step, CompiledStep>();
const SINGLE = [PayloadType.SA, PayloadType.KEY_EXCH, PayloadType.NONCE, PayloadType.HASH];

function compile(step: Step): CompiledStep {
  let c = compiled.get(step);
  if (!c) {
    const must = step.must.map((w) => ({ name: w, types: w === 'AUTH' ? [PayloadType.HASH, PayloadType.SIG] : [PayloadType[w]] }));
    c = { must, allowed: new Set([...step.may.map((n) => PayloadType[n] as number), ...must.flatMap((m) => m.types)]) };
    compiled.set(step, c);
  }
  return c;
}

/** Checks a received message's payload types against one step; every payload must be required or allowed. */
export function checkStep(step: Step, types: number[], encrypted: boolean): Refusal | undefined {
  if (step.encrypted && !encrypted) return refuse('INVALID_FLAGS', 'message must be encrypted');
  const c = compile(step);
  for (const m of c.must) {
    if (!m.types.some((t) => types.includes(t))) return refuse('PAYLOAD_MALFORMED', `missing ${m.name} payload`);
  }
  for (const t of types) if (!c.allowed.has(t)) return refuse('INVALID_PAYLOAD_TYPE', `unexpected payload type ${t} at this step`);
  for (const single of SINGLE) {
    if (types.indexOf(single) !== types.lastIndexOf(single)) return refuse('PAYLOAD_MALFORMED', `repeated payload type ${single}`);
  }
  return undefined;
}
