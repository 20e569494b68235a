// strongSwan's configuration syntax (strongswan.conf(5), swanctl.conf(5)): nested sections, one
// `key = value` per line. Rendering from plain objects keeps test configs readable and well formed.

export type ConfValue = string | number | boolean | ConfSection | undefined;
export interface ConfSection {
  [key: string]: ConfValue;
}

function scalar(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  const s = String(v);
  if (/[\n\r]/.test(s)) throw new Error(`configuration value with a line break: ${JSON.stringify(s)}`);
  return s;
}

export function renderConf(section: ConfSection, indent = ''): string {
  let out = '';
  for (const [key, value] of Object.entries(section)) {
    if (value === undefined) continue;
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`bad configuration key ${key}`);
    if (typeof value === 'object') {
      out += `${indent}${key} {\n${renderConf(value, indent + '  ')}${indent}}\n`;
    } else {
      out += `${indent}${key} = ${scalar(value)}\n`;
    }
  }
  return out;
}
