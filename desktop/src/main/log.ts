/**
 * The shell's log: one JSON line per entry on stderr. Callers pass codes,
 * counts and reasons — never patient data, message text or tokens.
 */
export interface Log {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export function createLog(write: (line: string) => void = (l) => process.stderr.write(l)): Log {
  const entry = (level: string) => (fields: Record<string, unknown>, msg: string) => {
    const f: Record<string, unknown> = { ...fields };
    if (f.err instanceof Error) f.err = { name: f.err.name, message: f.err.message };
    write(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        service: 'konsilium-desktop',
        ...f,
        msg,
      }) + '\n',
    );
  };
  return { info: entry('info'), warn: entry('warn'), error: entry('error') };
}
