import iconv from 'iconv-lite';
import { z } from 'zod';

const Port = z.coerce.number().int().min(0).max(65535);
const Seconds = z.coerce.number().int().min(1);

/**
 * The hub's configuration. Every key can come from the config file
 * (`KONSILIUM_CONFIG`, JSON) or from `KONSILIUM_<KEY>` in the environment
 * (camelCase → UPPER_SNAKE); the environment wins.
 */
export const HubConfigObject = z
  .object({
    /** TCP port for HTTP and WebSocket; 0 picks a free one. */
    port: Port.default(8080),
    /** Interface to listen on. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Where the SQLite file, keys and attachments live. */
    dataDir: z.string().min(1).default('./data'),
    /** `postgres://…` selects PostgreSQL; unset means the embedded SQLite file. */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    /** pino level. */
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /** Session is closed after this many seconds without use. */
    sessionIdleSeconds: Seconds.default(12 * 3600),
    /** Session is closed this many seconds after sign-in, whatever its use. */
    sessionAbsoluteSeconds: Seconds.default(7 * 24 * 3600),
    /** Failed sign-ins per account before it is throttled. */
    loginMaxFailuresPerAccount: z.coerce.number().int().min(1).max(1000).default(5),
    /** Failed sign-ins per source address before the address is throttled. */
    loginMaxFailuresPerAddress: z.coerce.number().int().min(1).max(100000).default(20),
    /** First lockout in seconds; doubles with each further lockout up to the maximum. */
    loginLockoutSeconds: Seconds.default(60),
    /** Cap on a lockout, so an attacker can never lock a victim out for long. */
    loginLockoutMaxSeconds: Seconds.default(900),
    /** argon2id memory cost in KiB (OWASP: 19 MiB with t=2, p=1). */
    argon2MemoryKib: z.coerce
      .number()
      .int()
      .min(1024)
      .max(4 * 1024 * 1024)
      .default(19456),
    /** argon2id time cost (iterations). */
    argon2TimeCost: z.coerce.number().int().min(1).max(20).default(2),
    /**
     * Staff search engine: `memory` (an in-process index, refreshed after every
     * write through this hub or, with `redisUrl`, through any hub node) or
     * `sql` (straight from the database). ADR 0005, ADR 0025.
     */
    directorySearch: z.enum(['memory', 'sql']).default('memory'),
    /** Largest WebSocket frame in bytes; a larger one closes the socket with 1009. */
    wsMaxPayloadBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    /** Bytes queued for one socket before the client is cut off as a slow consumer (4008). */
    wsSendBufferBytes: z.coerce
      .number()
      .int()
      .min(16 * 1024)
      .default(1024 * 1024),
    /** Ping interval; a socket that misses a pong for one interval is closed. */
    wsHeartbeatSeconds: z.coerce.number().int().min(1).max(600).default(30),
    /** Seconds a new socket has to send its `auth` frame. */
    wsAuthTimeoutSeconds: z.coerce.number().int().min(1).max(120).default(10),
    /**
     * Browser origins allowed to open a WebSocket (comma-separated in the
     * environment). Requests without an Origin header (desktop, scripts) pass;
     * the hub's own origin always passes.
     */
    allowedOrigins: z
      .union([z.array(z.string().url()), z.string()])
      .transform((v) =>
        (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0),
      )
      .default([]),
    /** Largest message text in bytes (UTF-8). */
    maxMessageBytes: z.coerce
      .number()
      .int()
      .min(256)
      .max(1024 * 1024)
      .default(16 * 1024),
    /** Largest attachment in bytes. */
    maxAttachmentBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(25 * 1024 * 1024),
    /** Largest JSON request body in bytes. */
    maxJsonBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    /** Largest import file in bytes. */
    maxImportBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(20 * 1024 * 1024),
    /** Load the demo hospital into an empty database at start. */
    demo: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
      .transform((v) => v === true || v === 'true' || v === '1')
      .default(false),
    /**
     * The built web client served at `/` (`desktop/dist/web`). Unset: the
     * repository's `desktop/dist/web` next to the hub package when it exists.
     */
    webClientDir: z.string().min(1).optional(),
    /** Trust `X-Forwarded-For` from a reverse proxy for the client address. */
    trustProxy: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
      .transform((v) => v === true || v === 'true' || v === '1')
      .default(false),
    /**
     * TCP port of the HL7 v2 MLLP listener for lab results (`KONSILIUM_MLLP_PORT`);
     * unset means off; 0 picks a free one. The demo turns it on at 2575.
     */
    mllpPort: Port.optional(),
    /** Interface of the MLLP listener; defaults to `host`. */
    mllpHost: z.string().min(1).optional(),
    /** Largest MLLP frame in bytes; a larger one is answered AE and the connection closed. */
    mllpMaxFrameBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /** An MLLP connection silent for this many seconds is closed. */
    mllpIdleSeconds: z.coerce.number().int().min(1).max(86400).default(300),
    /**
     * Charset for HL7 messages without MSH-18 whose bytes are not valid UTF-8
     * (legacy feeds), any name iconv-lite knows.
     */
    mllpFallbackCharset: z
      .string()
      .min(1)
      .max(40)
      .refine((v) => iconv.encodingExists(v), 'unknown character set')
      .default('windows-1251'),
    /**
     * OBX-8 abnormal flags that make a result critical (comma-separated in the
     * environment). ADR 0018.
     */
    mllpCriticalFlags: z
      .union([z.array(z.string().min(1).max(5)), z.string()])
      .transform((v) =>
        (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0),
      )
      .default(['HH', 'LL', 'AA']),
    /**
     * SMTP server for the e-mail channel (`smtp://host:25`, `smtps://host:465`,
     * credentials in the URL when needed); unset means the e-mail channel is off. ADR 0020.
     */
    smtpUrl: z
      .string()
      .regex(/^smtps?:\/\/[^/\s]+/, 'must be an smtp:// or smtps:// URL')
      .optional(),
    /** Sender address of channel e-mail. */
    smtpFrom: z
      .string()
      .max(254)
      .regex(/^[^\s@<>",;]+@[^\s@<>",;]+$/, 'must be an e-mail address')
      .default('konsilium@localhost'),
    /**
     * SMS gateway URL template (`http(s)://…` with `{phone}` and `{text}`
     * placeholders, URL-encoded on substitution); unset means SMS is off. ADR 0020.
     */
    smsGatewayUrl: z
      .string()
      .refine((v) => {
        try {
          const u = new URL(v.replaceAll('{phone}', 'p').replaceAll('{text}', 't'));
          return u.protocol === 'http:' || u.protocol === 'https:';
        } catch {
          return false;
        }
      }, 'must be an http:// or https:// URL template')
      .optional(),
    /**
     * The address staff reach the hub at (`https://konsilium.hospital.local`,
     * a reverse proxy's); links in e-mail and SMS start with it. Unset: the
     * hub's own bound address, which a phone often cannot reach.
     */
    publicUrl: z
      .string()
      .max(500)
      .refine((v) => {
        try {
          const u = new URL(v);
          return (
            (u.protocol === 'http:' || u.protocol === 'https:') &&
            !u.search &&
            !u.hash &&
            !u.username &&
            !u.password
          );
        } catch {
          return false;
        }
      }, 'must be an http:// or https:// URL without query, fragment or credentials')
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
    /** HTTP method of the SMS gateway request. */
    smsGatewayMethod: z.enum(['GET', 'POST']).default('GET'),
    /**
     * POST body template with `{phone}` and `{text}` (JSON-escaped when the body
     * is JSON, otherwise form-encoded on substitution); unset sends no body.
     */
    smsGatewayBodyTemplate: z.string().max(4096).optional(),
    /** Extra request headers of the SMS gateway (a JSON object in the environment). */
    smsGatewayHeaders: z
      .union([
        z.record(z.string(), z.string()),
        z.string().transform((v, ctx) => {
          try {
            const parsed: unknown = JSON.parse(v);
            const r = z.record(z.string(), z.string()).safeParse(parsed);
            if (r.success) return r.data;
          } catch {
            // reported below
          }
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object of strings' });
          return z.NEVER;
        }),
      ])
      .default({}),
    /**
     * Redis (`redis://host:6379`, `rediss://…` for TLS) that fans stream events
     * and ended sessions out between several hub nodes on one PostgreSQL
     * database; unset means a single node. ADR 0025.
     */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\/[^/\s]*/, 'must be a redis:// or rediss:// URL')
      .optional(),
    /** Prefix of the Redis channels; nodes of one installation share it. */
    redisChannel: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits or _.:-')
      .default('konsilium'),
    /**
     * Milliseconds a node waits for a missing stream range from another node
     * before it re-reads its sockets' events from the database.
     */
    redisGapMs: z.coerce.number().int().min(50).max(60000).default(1000),
  })
  .strict();

/** {@link HubConfigObject} with the checks that span several keys. */
export const HubConfigSchema = HubConfigObject.superRefine((c, ctx) => {
  if (c.redisUrl && !c.databaseUrl) {
    ctx.addIssue({
      code: 'custom',
      path: ['redisUrl'],
      message: 'several hub nodes need PostgreSQL: set databaseUrl too',
    });
  }
});

export type HubConfig = z.infer<typeof HubConfigSchema>;
export type HubConfigInput = z.input<typeof HubConfigSchema>;
