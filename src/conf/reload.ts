// Reload (SIGHUP or FIFO R): read the file again into a fresh configuration and swap it in only when it
// has no errors; otherwise the running configuration stays and the diagnostics say why.
import type { Config } from './config.js';
import type { Diagnostic } from './diagnostics.js';
import { loadConfigFile, type LoadOptions } from './load.js';

export interface ReloadResult {
  /** The configuration to run with from now on: the new one, or `current` when the reload was refused. */
  config: Config;
  replaced: boolean;
  diagnostics: Diagnostic[];
}

export function reloadConfig(current: Config, file: string, opts: LoadOptions = {}): ReloadResult {
  const r = loadConfigFile(file, opts);
  if (!r.ok) {
    const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
    return {
      config: current,
      replaced: false,
      diagnostics: [
        ...r.diagnostics,
        { severity: 'error', file, line: 0, code: 'reload-refused', message: `reload refused: ${errors} error${errors === 1 ? '' : 's'} in ${file}; the previous configuration (generation ${current.generation}) stays in use`, hint: `run isakmpctl check-config -c ${file}` },
      ],
    };
  }
  return { config: r.config, replaced: true, diagnostics: r.diagnostics };
}
