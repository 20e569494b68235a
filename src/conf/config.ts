// The loaded configuration: a read-only view over a Store with isakmpd's accessors (conf_get_str, _num,
// _list, conf_match_num) plus the typed model. A Config never changes; run-time edits build a new one.
import type { Diagnostic } from './diagnostics.js';
import { Store, type Binding } from './store.js';
import { atoi, splitList, parseOfferAccept, type OfferAccept } from './values.js';
import * as model from './model.js';

export class Config {
  /** Monotonic generation number, so a caller can tell which configuration an SA was made with. */
  readonly generation: number;
  /** Files the configuration was read from (empty for defaults only). */
  readonly files: readonly string[];

  constructor(readonly store: Store, opts: { generation?: number; files?: readonly string[] } = {}) {
    this.generation = opts.generation ?? 1;
    this.files = opts.files ?? [];
  }

  /** conf_get_str: the value, case-insensitive in section and tag. */
  get(section: string, tag: string): string | undefined {
    return this.store.get(section, tag)?.value;
  }

  /** The value with its provenance (file:line, default or generated). */
  binding(section: string, tag: string): Binding | undefined {
    return this.store.get(section, tag);
  }

  /** conf_get_num: atoi of the value, or `def` when the tag is absent. */
  getNum(section: string, tag: string, def: number): number;
  getNum(section: string, tag: string): number | undefined;
  getNum(section: string, tag: string, def?: number): number | undefined {
    const v = this.get(section, tag);
    return v === undefined ? def : atoi(v);
  }

  /** conf_get_list: comma list, blanks trimmed, empty fields skipped; undefined when the tag is absent. */
  getList(section: string, tag: string): string[] | undefined {
    const v = this.get(section, tag);
    return v === undefined ? undefined : splitList(v).items;
  }

  /** `X` or `X,Y:Z`; undefined when absent, null when the value is not a valid number spec. */
  getOfferAccept(section: string, tag: string): OfferAccept | null | undefined {
    const v = this.get(section, tag);
    return v === undefined ? undefined : parseOfferAccept(v);
  }

  /** isakmpd tests many flags only for presence ("if the tag is defined"). */
  isDefined(section: string, tag: string): boolean {
    return this.store.get(section, tag) !== undefined;
  }

  /** Sections from the file and the built-in defaults, in load order (generated ones are answered on demand). */
  sections(): string[] {
    return this.store.sectionNames();
  }

  /** True for stored sections and for every name isakmpd auto-generates. */
  hasSection(name: string): boolean {
    return this.store.has(name);
  }

  /** Tag names of a section, stored first, then generated. */
  tags(section: string): string[] {
    return this.store.bindings(section).map((b) => b.tag);
  }

  /** All bindings of a section (stored first, then generated). */
  sectionBindings(section: string): Binding[] {
    return this.store.bindings(section);
  }

  // ---- typed model (see model.ts) ----
  peers(): model.Peer[] { return model.peers(this); }
  peer(section: string): model.Peer | undefined { return model.peer(this, section); }
  peerByAddress(addr: string): model.Peer | undefined { return model.peerByAddress(this, addr); }
  defaultPeer(): model.Peer | undefined { return model.defaultPeer(this); }
  connections(): model.Connection[] { return model.connections(this); }
  passiveConnections(): model.Connection[] { return model.passiveConnections(this); }
  connection(section: string): model.Connection | undefined { return model.connection(this, section); }
  phase1Proposal(peer: model.Peer | string): model.Phase1Proposal | undefined { return model.phase1Proposal(this, peer); }
  phase2Suites(conn: model.Connection | string): model.IpsecSuite[] { return model.phase2Suites(this, conn); }
  phase1Id(section: string): model.Phase1Id | undefined { return model.phase1Id(this, section); }
  ipsecId(section: string): model.IpsecId | undefined { return model.ipsecId(this, section); }
  initiatorIdSection(id: string): model.InitiatorIdSection | undefined { return model.initiatorIdSection(this, id); }
  presharedKeyFor(peer: string, initiatorId?: string): Uint8Array | null | undefined { return model.presharedKeyFor(this, peer, initiatorId); }
  defaultPhase2Suites(): string[] { return model.defaultPhase2Suites(this); }
  general(): model.General { return model.general(this); }
  x509(): model.X509Settings { return model.x509(this); }
  keynote(): model.KeyNoteSettings { return model.keynote(this); }
}

export interface LoadResult {
  config: Config;
  diagnostics: Diagnostic[];
  /** False when there is at least one error: a reload must then keep the running configuration. */
  ok: boolean;
}
