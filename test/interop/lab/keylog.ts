// Parser for charon's file log at level 4: "LABEL => N bytes @ 0xADDR" followed by hex dump lines. At this
// level charon prints its IKEv1 key schedule (DH secret, SKEYID*, Ka, IVs per message ID, Quick Mode
// hashes, SA seeds and CHILD_SA keys), which is what makes captures from it known-answer material.

export interface LogLine {
  time?: string;
  thread: string;
  group: string; // IKE, CHD, CFG, KNL, ...
  text: string;
  lineNo: number;
}

export interface HexBlock extends LogLine {
  label: string;
  bytes: Buffer;
}

const LINE = /^(?:(\d+\.\d+|\S+ \S+ \S+) )?(\d+)\[(\w+)\] (.*)$/;
const HEADER = /^(.*\S) => (\d+) bytes @ (?:0x)?[0-9a-fA-F]+$/;
const DUMP = /^\s*\d+: ((?:[0-9A-F]{2} )*[0-9A-F]{2})/;

export interface ParsedLog {
  lines: LogLine[];
  blocks: HexBlock[];
}

export function parseCharonLog(text: string): ParsedLog {
  const lines: LogLine[] = [];
  const blocks: HexBlock[] = [];
  let open: { block: Omit<HexBlock, 'bytes'>; want: number; parts: Buffer[]; got: number } | undefined;
  const close = (): void => {
    if (!open) return;
    const bytes = Buffer.concat(open.parts);
    if (bytes.length !== open.want) throw new Error(`charon log line ${open.block.lineNo}: ${open.block.label} has ${bytes.length} of ${open.want} bytes`);
    blocks.push({ ...open.block, bytes });
    open = undefined;
  };
  text.split('\n').forEach((raw, i) => {
    const m = LINE.exec(raw);
    if (!m) return;
    const line: LogLine = { time: m[1], thread: m[2]!, group: m[3]!, text: m[4]!, lineNo: i + 1 };
    const dump = DUMP.exec(line.text);
    if (open && dump && line.thread === open.block.thread) {
      const part = Buffer.from(dump[1]!.replace(/ /g, ''), 'hex');
      open.parts.push(part);
      open.got += part.length;
      if (open.got >= open.want) close();
      return;
    }
    close();
    lines.push(line);
    const h = HEADER.exec(line.text);
    if (h) {
      const want = Number(h[2]);
      open = { block: { ...line, label: h[1]!.trim() }, want, parts: [], got: 0 };
      if (want === 0) close();
    }
  });
  close();
  return { lines, blocks };
}

/** All blocks with this exact label, in log order. */
export const blocksNamed = (log: ParsedLog, label: string | RegExp): HexBlock[] =>
  log.blocks.filter((b) => (typeof label === 'string' ? b.label === label : label.test(b.label)));
