/**
 * `npm run hl7:send -- --port 2575 [--host 127.0.0.1] [--timeout 10] file.hl7 …`
 *
 * Sends HL7 v2 messages to the hub's MLLP listener the way a laboratory system
 * does (one MLLP frame per file, segments separated by CR whatever the file's
 * line endings) and prints each acknowledgement's MSA line. Exit code 0 when
 * every message got `AA`, 1 when one got `AE`/`AR` or no answer, 2 for bad
 * arguments. For trying the demo and checking a feed; the hub logs no content.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MllpDecoder, mllpFrame } from '../modules/results/index.js';

export interface SendHl7Result {
  code: 0 | 1 | 2;
  out: string;
}

const USAGE = 'usage: hl7:send --port <1-65535> [--host <host>] [--timeout <seconds>] <file.hl7>…';

/** Reads, frames and sends each file in turn on one connection; never throws. */
export async function runSendHl7(args: readonly string[]): Promise<SendHl7Result> {
  let values: { port?: string; host?: string; timeout?: string };
  let files: string[];
  try {
    ({ values, positionals: files } = parseArgs({
      args: [...args],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        timeout: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    return { code: 2, out: `${(err as Error).message}\n${USAGE}` };
  }
  const port = Number(values.port);
  if (!values.port || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { code: 2, out: `--port must be a TCP port (1-65535)\n${USAGE}` };
  }
  const timeout = values.timeout === undefined ? 10 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 600) {
    return { code: 2, out: `--timeout must be seconds between 0 and 600\n${USAGE}` };
  }
  if (files.length === 0) return { code: 2, out: `no file given\n${USAGE}` };
  const payloads: Buffer[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      return {
        code: 2,
        out: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      };
    }
    const segments = text.split(/\r\n|\r|\n/).filter((line) => line.length > 0);
    if (!segments[0]?.startsWith('MSH')) {
      return { code: 2, out: `${file}: not an HL7 v2 message (the first segment must be MSH)` };
    }
    payloads.push(Buffer.from(segments.join('\r') + '\r', 'utf8'));
  }
  return exchange(values.host ?? '127.0.0.1', port, timeout * 1000, files, payloads);
}

function exchange(
  host: string,
  port: number,
  timeoutMs: number,
  files: string[],
  payloads: Buffer[],
): Promise<SendHl7Result> {
  return new Promise((done) => {
    const lines: string[] = [];
    let code: 0 | 1 = 0;
    let next = 0;
    const decoder = new MllpDecoder(16 * 1024 * 1024);
    const socket = connect({ host, port });
    const finish = (result: SendHl7Result) => {
      clearTimeout(timer);
      socket.destroy();
      done(result);
    };
    const timer = setTimeout(
      () =>
        finish({
          code: 1,
          out: [...lines, `${files[next]}: no acknowledgement in time`].join('\n'),
        }),
      timeoutMs,
    );
    const send = () => socket.write(mllpFrame(payloads[next]!));
    socket.once('connect', send);
    socket.on('error', (err) =>
      finish({
        code: 1,
        out: [...lines, `cannot send to ${host}:${port}: ${err.message}`].join('\n'),
      }),
    );
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk).frames) {
        const msa = frame
          .toString('utf8')
          .split('\r')
          .find((s) => s.startsWith('MSA'));
        const ack = msa?.split('|')[1] ?? '?';
        if (ack !== 'AA') code = 1;
        lines.push(`${files[next]}: ${msa ?? 'no MSA segment'}`);
        next += 1;
        if (next === payloads.length) return finish({ code, out: lines.join('\n') });
        send();
      }
    });
  });
}

const isMain =
  process.argv[1] && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href;
if (isMain) {
  void runSendHl7(process.argv.slice(2)).then(({ code, out }) => {
    (code === 0 ? process.stdout : process.stderr).write(`${out}\n`);
    process.exit(code);
  });
}
