import { request } from 'node:http';

export interface RawResponse {
  status: number;
  body: string;
}

/** A raw HTTP request with exactly the headers given (no Origin or Host added behind our back). */
export function rawRequest(opts: {
  port: number;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body in chunks without a Content-Length. */
  chunked?: boolean;
}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `127.0.0.1:${opts.port}`, ...opts.headers };
    if (opts.body !== undefined && !opts.chunked) {
      headers['content-length'] = String(Buffer.byteLength(opts.body));
    }
    const req = request(
      {
        host: '127.0.0.1',
        port: opts.port,
        method: opts.method,
        path: opts.path,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) {
      if (opts.chunked) {
        const buf = Buffer.from(opts.body);
        for (let i = 0; i < buf.length; i += 1024) req.write(buf.subarray(i, i + 1024));
      } else req.write(opts.body);
    }
    req.end();
  });
}
