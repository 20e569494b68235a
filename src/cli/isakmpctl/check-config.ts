// isakmpctl check-config [-c FILE] [--dump] [-j] [--insecure]: validate an isakmpd.conf without a daemon.
// Exit 0 when the file loads without errors, 1 with every error listed, 2 for bad usage.
import fs from 'node:fs';
import {
  loadConfigFile, dumpConfig, configToJson, formatDiagnostic, sortDiagnostics, checkFileSecrecy, hasErrors, legacyCipherDiagnostics,
  DEFAULT_CONFIG_FILE, INSECURE_ENV, type Diagnostic,
} from '../../conf/index.js';

const USAGE = `usage: isakmpctl check-config [-c FILE] [--dump] [-j] [--insecure]
  -c FILE     configuration to check (default ${DEFAULT_CONFIG_FILE})
  --dump      print the effective configuration: the file, built-in defaults and generated sections
  -j          print the effective configuration as JSON {section: {tag: value}}
  --insecure  do not treat group/other-readable or foreign-owned files as errors (also ${INSECURE_ENV}=1)`;

export async function run(argv: string[]): Promise<number> {
  let file = DEFAULT_CONFIG_FILE;
  let dump = false;
  let json = false;
  let insecure = process.env[INSECURE_ENV] === '1';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c') {
      const v = argv[++i];
      if (v === undefined) {
        console.error(`isakmpctl check-config: -c needs a file\n${USAGE}`);
        return 2;
      }
      file = v;
    } else if (a === '--dump') dump = true;
    else if (a === '-j' || a === '--json') json = true;
    else if (a === '--insecure') insecure = true;
    else if (a === '-s') i++; // global control-socket option, irrelevant here
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`isakmpctl check-config: unknown argument '${a}'\n${USAGE}`);
      return 2;
    }
  }

  // Read the content even when the secrecy check fails, so one run lists every problem.
  const diagnostics: Diagnostic[] = [];
  try {
    const st = fs.statSync(file);
    const bad = st.isFile() ? checkFileSecrecy(st, file) : null;
    if (bad && !insecure) diagnostics.push({ ...bad, message: `isakmpd would not load ${file}: ${bad.message}` });
  } catch {
    // loadConfigFile reports a missing or unreadable file
  }
  const r = loadConfigFile(file, { insecure: true });
  diagnostics.push(...r.diagnostics.filter((d) => d.code !== 'file-permissions' && d.code !== 'file-owner'));
  diagnostics.push(...legacyCipherDiagnostics(r.config));

  for (const d of sortDiagnostics(diagnostics)) console.error(formatDiagnostic(d));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const readable = !diagnostics.some((d) => d.code === 'file-missing' || d.code === 'file-unreadable');

  const summary = `${file}: ${errors ? `${errors} error${errors === 1 ? '' : 's'}` : 'OK'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`;
  if (json && readable) console.log(JSON.stringify(configToJson(r.config), null, 2));
  else if (dump && readable) process.stdout.write(dumpConfig(r.config));
  // The summary goes to stdout only when stdout carries nothing else, so dumps stay parseable.
  if ((json || dump) && readable) console.error(summary);
  else console.log(summary);
  return hasErrors(diagnostics) ? 1 : 0;
}
