/**
 * Machine policy on Windows: the values under `HKLM\Software\Policies\Konsilium`
 * (written by Group Policy from the ADMX template, or by the MSI's HUB_URL
 * property). Read through `reg.exe query` so no native module is needed; the
 * parser is pure and tested against real `reg.exe` output shapes.
 */
import { execFile } from 'node:child_process';

export const POLICY_KEY = 'HKLM\\Software\\Policies\\Konsilium';

export type RegistryValue = string | number | string[];

// `reg.exe` separates name, type and data with four spaces; names may contain single spaces.
const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/;

/**
 * Parses the output of `reg.exe query <key>` (values of that key only; subkey
 * lines and the `(Default)` value are skipped). DWORD/QWORD become numbers,
 * MULTI_SZ a list, everything else text. Lines that do not parse are ignored.
 */
export function parseRegQuery(stdout: string): Record<string, RegistryValue> {
  const out: Record<string, RegistryValue> = {};
  for (const raw of stdout.split(/\r?\n/)) {
    const m = VALUE_LINE.exec(raw);
    if (!m) continue;
    const name = m[1]!;
    const type = m[2]!;
    const data = (m[3] ?? '').trim();
    if (name === '(Default)' || name === '(По умолчанию)') continue;
    if (type === 'REG_DWORD' || type === 'REG_QWORD') {
      const n = Number.parseInt(data, 16);
      if (/^0x[0-9a-f]+$/i.test(data) && Number.isSafeInteger(n)) out[name] = n;
    } else if (type === 'REG_MULTI_SZ') {
      out[name] = data === '' ? [] : data.split('\\0').filter((s) => s !== '');
    } else if (type === 'REG_SZ' || type === 'REG_EXPAND_SZ') {
      out[name] = data;
    }
  }
  return out;
}

/** Runs `reg.exe query` on the policy key; a missing key (exit code 1) is an empty policy. */
export function readRegistryPolicy(key = POLICY_KEY): Promise<Record<string, RegistryValue>> {
  return new Promise((resolve, reject) => {
    execFile(
      'reg.exe',
      ['query', key],
      { windowsHide: true, timeout: 10_000, encoding: 'utf8' },
      (err, stdout) => {
        if (err && (err as { code?: unknown }).code === 1) {
          resolve({});
        } else if (err) {
          reject(new Error(err.message));
        } else {
          resolve(parseRegQuery(stdout));
        }
      },
    );
  });
}
