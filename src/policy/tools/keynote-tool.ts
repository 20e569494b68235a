// keynote(1): verify, sign, sigver, keygen. Thin over the policy library; output formats follow the
// reference tool ("Query result = VALUE").
import fs from 'node:fs';
import { assertionChunks, parseAssertionAt, type Assertion } from '../assertion.js';
import { AssertionSet, evaluateQuery } from '../compliance.js';
import { formatDiagnostic, LineMap } from '../errors.js';
import { generateKey, type KeyEncoding } from '../keys.js';
import { signText, verifyAssertion } from '../signature.js';
import { parseEnvironment, parseKeyFile, parsePrincipals, readText, UsageError, type Out } from './io.js';

const USAGE = `usage: keynote COMMAND [ARGS]
  verify [-h] [-r values] [-e envfile]... [-l trusted-assertions]... [-k principals-file]... [assertion-file...]
      -r  comma-separated compliance values, lowest first (default false,true)
      -e  action environment: lines of name = "value"
      -l  trusted (local) assertions; need no signature
      -k  requesting principals, one quoted string per line
      other files hold signed credentials, admitted only if their signatures verify
  sign [-v] ALGORITHM ASSERTION-FILE PRIVATE-KEY-FILE    e.g. sig-rsa-sha1-hex:
  sigver ASSERTION-FILE
  keygen ALGORITHM BITS [PUBLIC-KEY-FILE PRIVATE-KEY-FILE]   ALGORITHM: rsa-hex: rsa-base64: dsa-hex: dsa-base64:`;

/** Assertions of a file, split on blank lines. */
export function readAssertions(path: string, trusted: boolean, io: Out): Assertion[] {
  const text = readText(path);
  const lines = new LineMap(text);
  const out: Assertion[] = [];
  for (const [start, end] of assertionChunks(text)) {
    const r = parseAssertionAt(text, start, end, path, lines, trusted);
    if (r.ok) out.push(r.assertion);
    else io.err(formatDiagnostic(r.diagnostic));
  }
  return out;
}

function takeArg(argv: string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined) throw new UsageError(`${flag} needs an argument`);
  return v;
}

async function verify(argv: string[], io: Out): Promise<number> {
  let values = ['false', 'true'];
  const env: Record<string, string> = {};
  const trusted: string[] = [];
  const principals: string[] = [];
  const untrusted: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') {
      io.out(USAGE);
      return 0;
    } else if (a === '-r') {
      values = takeArg(argv, i++, a).split(',').map((s) => s.trim()).filter(Boolean);
      if (values.length === 0) throw new UsageError('-r needs at least one value');
    } else if (a === '-e') {
      const f = takeArg(argv, i++, a);
      Object.assign(env, parseEnvironment(readText(f), f));
    } else if (a === '-l') trusted.push(takeArg(argv, i++, a));
    else if (a === '-k') principals.push(...parsePrincipals(readText(takeArg(argv, i++, a))));
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else untrusted.push(a);
  }
  if (principals.length === 0) throw new UsageError('no requesting principals: give at least one -k file');
  const set = new AssertionSet();
  for (const f of trusted) for (const as of readAssertions(f, true, io)) set.add(as);
  for (const f of untrusted) {
    for (const as of readAssertions(f, false, io)) {
      const v = verifyAssertion(as);
      if (v.ok) set.add(as);
      else io.err(`${f}:${as.lines.at(as.start).line}: credential ignored: ${v.reason}`);
    }
  }
  const r = evaluateQuery(set, { values, authorizers: principals, attributes: env });
  io.out(`Query result = ${r.value}`);
  return 0;
}

async function sign(argv: string[], io: Out): Promise<number> {
  const verifyAfter = argv[0] === '-v';
  const args = verifyAfter ? argv.slice(1) : argv;
  if (args.length < 3) throw new UsageError('sign needs ALGORITHM ASSERTION-FILE PRIVATE-KEY-FILE');
  const [alg, file, keyFile] = args as [string, string, string];
  const text = readText(file);
  const sig = signText(text, alg, parseKeyFile(readText(keyFile)));
  if (verifyAfter) {
    const base = /(^|\n)signature[ \t]*:/i.test(text) ? text.replace(/((?:^|\n)signature[ \t]*:)[\s\S]*$/i, `$1 "${sig}"\n`) : `${text.replace(/\s+$/, '')}\nSignature: "${sig}"\n`;
    const parsed = readAssertionsFromText(base, file);
    const ok = parsed !== null && verifyAssertion(parsed).ok;
    if (!ok) {
      io.err('keynote sign: the new signature does not verify against the Authorizer');
      return 1;
    }
  }
  io.out(`"${sig}"`);
  return 0;
}

function readAssertionsFromText(text: string, file: string): Assertion | null {
  const r = parseAssertionAt(text, 0, text.length, file, new LineMap(text), false);
  return r.ok ? r.assertion : null;
}

async function sigver(argv: string[], io: Out): Promise<number> {
  if (argv.length !== 1) throw new UsageError('sigver needs one ASSERTION-FILE');
  const list = readAssertions(argv[0]!, false, io);
  if (list.length === 0) {
    io.err(`${argv[0]}: no assertions`);
    return 1;
  }
  let bad = 0;
  list.forEach((a, i) => {
    const v = verifyAssertion(a);
    if (v.ok) io.out(`Signature on assertion ${i} verified.`);
    else {
      bad++;
      io.out(`Signature on assertion ${i} did not verify! (${v.reason})`);
    }
  });
  return bad ? 1 : 0;
}

async function keygen(argv: string[], io: Out): Promise<number> {
  if (argv.length !== 2 && argv.length !== 4) throw new UsageError('keygen needs ALGORITHM BITS [PUBLIC-KEY-FILE PRIVATE-KEY-FILE]');
  const m = /^(rsa|dsa)-(hex|base64):?$/i.exec(argv[0]!);
  if (!m) throw new UsageError(`keygen: unsupported algorithm '${argv[0]}' (rsa-hex: rsa-base64: dsa-hex: dsa-base64:)`);
  const bits = Number(argv[1]);
  if (!Number.isInteger(bits) || bits < 512 || bits > 8192) throw new UsageError('keygen: BITS must be an integer from 512 to 8192');
  const k = generateKey(m[1]!.toLowerCase() as 'rsa' | 'dsa', bits, m[2]!.toLowerCase() as KeyEncoding);
  if (argv.length === 4) {
    fs.writeFileSync(argv[2]!, `"${k.publicKey}"\n`);
    fs.writeFileSync(argv[3]!, `"${k.privateKey}"\n`, { mode: 0o600 });
  } else {
    io.out(`"${k.publicKey}"`);
    io.out(`"${k.privateKey}"`);
  }
  return 0;
}

export async function keynoteCommand(argv: string[], io: Out): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'verify':
        return await verify(rest, io);
      case 'sign':
        return await sign(rest, io);
      case 'sigver':
        return await sigver(rest, io);
      case 'keygen':
        return await keygen(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return cmd ? 0 : 2;
      default:
        io.err(`keynote: unknown command '${cmd}'\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`keynote: ${e.message}`);
      return 2;
    }
    io.err(`keynote: ${(e as Error).message}`);
    return 1;
  }
}
