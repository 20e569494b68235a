// Exchanges as data: which payloads each message must and may carry, checked before any handler runs
// (isakmpd exchange.c scripts, strongSwan payload rules). AUTH means HASH (PSK) or SIG.
import { Exchange, Payload, type PayloadName } from './numbers.js';
import { refuse, type Refusal } from './types.js';

type Want = PayloadName | 'AUTH';
export interface Step {
  by: 'initiator' | 'responder';
  must: Want[];
  may: PayloadName[];
  encrypted?: boolean;
}
export type Script = Step[];

export const MAIN_MODE: Script = [
  { by: 'initiator', must: ['SA'], may: ['VID'] },
  { by: 'responder', must: ['SA'], may: ['VID'] },
  { by: 'initiator', must: ['KE', 'NONCE'], may: ['NAT_D', 'NAT_D_DRAFT', 'CR', 'VID'] },
  { by: 'responder', must: ['KE', 'NONCE'], may: ['NAT_D', 'NAT_D_DRAFT', 'CR', 'VID'] },
  // CR may come again with the certificate (strongSwan sends it in message 5)
  { by: 'initiator', must: ['ID', 'AUTH'], may: ['CERT', 'CR', 'N', 'VID'], encrypted: true },
  { by: 'responder', must: ['ID', 'AUTH'], may: ['CERT', 'CR', 'N', 'VID'], encrypted: true },
];

export const AGGRESSIVE_MODE: Script = [
  { by: 'initiator', must: ['SA', 'KE', 'NONCE', 'ID'], may: ['VID', 'CR'] },
  { by: 'responder', must: ['SA', 'KE', 'NONCE', 'ID', 'AUTH'], may: ['VID', 'NAT_D', 'NAT_D_DRAFT', 'CERT', 'CR', 'N'] },
  { by: 'initiator', must: ['AUTH'], may: ['NAT_D', 'NAT_D_DRAFT', 'CERT', 'N', 'VID'] },
];

// Two ID payloads (IDci, IDcr) are optional together; KE is present exactly when PFS is on.
export const QUICK_MODE: Script = [
  { by: 'initiator', must: ['HASH', 'SA', 'NONCE'], may: ['KE', 'ID', 'N', 'NAT_OA', 'NAT_OA_DRAFT'], encrypted: true },
  { by: 'responder', must: ['HASH', 'SA', 'NONCE'], may: ['KE', 'ID', 'N', 'NAT_OA', 'NAT_OA_DRAFT'], encrypted: true },
  { by: 'initiator', must: ['HASH'], may: [], encrypted: true },
];

export const SCRIPTS: Record<number, Script> = {
  [Exchange.ID_PROT]: MAIN_MODE,
  [Exchange.AGGRESSIVE]: AGGRESSIVE_MODE,
  [Exchange.QUICK]: QUICK_MODE,
};

/** Checks a received message's payload types against one step; every payload must be required or allowed. */
export function checkStep(step: Step, types: number[], encrypted: boolean): Refusal | undefined {
  if (step.encrypted && !encrypted) return refuse('INVALID_FLAGS', 'message must be encrypted');
  const have = new Set(types);
  for (const w of step.must) {
    const ok = w === 'AUTH' ? have.has(Payload.HASH) || have.has(Payload.SIG) : have.has(Payload[w]);
    if (!ok) return refuse('PAYLOAD_MALFORMED', `missing ${w} payload`);
  }
  const allowed = new Set<number>(step.may.map((n) => Payload[n]));
  for (const w of step.must) {
    if (w === 'AUTH') {
      allowed.add(Payload.HASH);
      allowed.add(Payload.SIG);
    } else allowed.add(Payload[w]);
  }
  for (const t of types) if (!allowed.has(t)) return refuse('INVALID_PAYLOAD_TYPE', `unexpected payload type ${t} at this step`);
  const count = (t: number): number => types.filter((x) => x === t).length;
  for (const single of [Payload.SA, Payload.KE, Payload.NONCE, Payload.HASH]) {
    if (count(single) > 1) return refuse('PAYLOAD_MALFORMED', `repeated payload type ${single}`);
  }
  return undefined;
}
