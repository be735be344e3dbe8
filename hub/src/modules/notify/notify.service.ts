import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { z } from 'zod';
import type { HubConfig } from '../../config/index.js';
import type { Database } from '../../platform/db/database.js';
import type { Logger } from '../../platform/log/logger.js';
import type { AuditLog } from '../audit/index.js';
import {
  bodyEncoder,
  fillTemplate,
  renderExternalSubject,
  renderExternalText,
} from './notify.text.js';

export type ChannelName = 'email' | 'sms';

/** Outcome of one send after all attempts. */
export type ChannelResult =
  { ok: true; attempts: number } | { ok: false; attempts: number; reason: string };

const Code = z.string().regex(/^[A-Z0-9][A-Z0-9-]{0,15}$/, 'short code');
const Link = z
  .string()
  .max(512)
  .url()
  .refine((v) => /^https?:\/\//.test(v), 'http(s) link');
const StaffId = z.string().min(1).max(64).optional();

const EmailInput = z.object({
  staffId: StaffId,
  to: z.string().email().max(254),
  code: Code,
  link: Link,
});
const SmsInput = z.object({
  staffId: StaffId,
  phone: z.string().regex(/^\+?[0-9]{5,15}$/, 'phone number'),
  code: Code,
  link: Link,
});
export type EmailRequest = z.input<typeof EmailInput>;
export type SmsRequest = z.input<typeof SmsInput>;

export type ChannelConfig = Pick<
  HubConfig,
  | 'smtpUrl'
  | 'smtpFrom'
  | 'smsGatewayUrl'
  | 'smsGatewayMethod'
  | 'smsGatewayBodyTemplate'
  | 'smsGatewayHeaders'
>;

export interface ExternalChannelsDeps {
  db: Database;
  audit: AuditLog;
  log: Logger;
  config: ChannelConfig;
  /** Attempts per send, first included. */
  attempts?: number;
  /** Delay before the second attempt; doubles for each further one. */
  baseDelayMs?: number;
  /** Waits between attempts (tests pass a recorder). */
  sleep?: (ms: number) => Promise<void>;
  /** Per-attempt timeout of a network call. */
  timeoutMs?: number;
}

/** A failure of one attempt; `retry` false means another attempt cannot help. */
class AttemptError extends Error {
  constructor(
    readonly reason: string,
    readonly retry: boolean,
  ) {
    super(reason);
  }
}

/** Digest of an address: lets the audit tie attempts together without holding the address. */
export function recipientDigest(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase()).digest('hex').slice(0, 16);
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * E-mail (SMTP) and SMS (HTTP gateway) to people outside the hub. Each send is
 * tried a few times with exponential backoff, every attempt is audited, and the
 * caller gets `{ ok: false, reason }` at the end so it can move on to its next step.
 */
export class ExternalChannels {
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly transport: Transporter | null;

  constructor(private readonly deps: ExternalChannelsDeps) {
    this.attempts = deps.attempts ?? 3;
    this.baseDelayMs = deps.baseDelayMs ?? 1000;
    this.sleep = deps.sleep ?? realSleep;
    this.timeoutMs = deps.timeoutMs ?? 10_000;
    this.transport = deps.config.smtpUrl
      ? nodemailer.createTransport({
          url: deps.config.smtpUrl,
          connectionTimeout: this.timeoutMs,
          greetingTimeout: this.timeoutMs,
          socketTimeout: this.timeoutMs,
        } as Parameters<typeof nodemailer.createTransport>[0])
      : null;
  }

  /** Whether a channel is configured. */
  enabled(channel: ChannelName): boolean {
    return channel === 'email' ? this.transport !== null : !!this.deps.config.smsGatewayUrl;
  }

  async sendEmail(request: EmailRequest): Promise<ChannelResult> {
    const parsed = EmailInput.safeParse(request);
    const digest = recipientDigest(typeof request.to === 'string' ? request.to : '');
    if (!parsed.success) return this.reject('email', request.staffId, digest, 'invalid-request');
    const { to, code, link, staffId } = parsed.data;
    const transport = this.transport;
    if (!transport) return this.reject('email', staffId, digest, 'channel-off');
    return this.withRetries('email', staffId, digest, code, async () => {
      try {
        await transport.sendMail({
          from: this.deps.config.smtpFrom,
          to,
          subject: renderExternalSubject({ code }),
          text: renderExternalText({ code, link }),
        });
      } catch (err) {
        const e = err as { responseCode?: number; code?: string };
        // 5xx is a permanent refusal (unknown mailbox, policy); anything else may pass later.
        if (typeof e.responseCode === 'number' && e.responseCode >= 500)
          throw new AttemptError(`smtp-${e.responseCode}`, false);
        if (typeof e.responseCode === 'number')
          throw new AttemptError(`smtp-${e.responseCode}`, true);
        throw new AttemptError(`smtp-${(e.code ?? 'error').toLowerCase()}`, true);
      }
    });
  }

  async sendSms(request: SmsRequest): Promise<ChannelResult> {
    const parsed = SmsInput.safeParse(request);
    const digest = recipientDigest(typeof request.phone === 'string' ? request.phone : '');
    if (!parsed.success) return this.reject('sms', request.staffId, digest, 'invalid-request');
    const { phone, code, link, staffId } = parsed.data;
    const cfg = this.deps.config;
    if (!cfg.smsGatewayUrl) return this.reject('sms', staffId, digest, 'channel-off');
    const values = { phone, text: renderExternalText({ code, link }) };
    const url = fillTemplate(cfg.smsGatewayUrl, values, encodeURIComponent);
    const headers: Record<string, string> = { ...cfg.smsGatewayHeaders };
    let body: string | undefined;
    if (cfg.smsGatewayMethod === 'POST' && cfg.smsGatewayBodyTemplate !== undefined) {
      const typeKey = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
      const contentType = typeKey
        ? headers[typeKey]!
        : (headers['Content-Type'] = 'application/x-www-form-urlencoded');
      body = fillTemplate(cfg.smsGatewayBodyTemplate, values, bodyEncoder(contentType));
    }
    return this.withRetries('sms', staffId, digest, code, async () => {
      let res: Response;
      try {
        res = await fetch(url, {
          method: cfg.smsGatewayMethod,
          headers,
          ...(body !== undefined ? { body } : {}),
          redirect: 'error',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        const name = (err as Error).name;
        throw new AttemptError(name === 'TimeoutError' ? 'http-timeout' : 'http-unreachable', true);
      }
      await res.body?.cancel();
      if (res.ok) return;
      // 5xx and 429 are the gateway's trouble and may pass later; other 4xx never will.
      throw new AttemptError(`http-${res.status}`, res.status >= 500 || res.status === 429);
    });
  }

  /** Closes the SMTP transport's pooled connections. */
  close(): void {
    this.transport?.close();
  }

  private async withRetries(
    channel: ChannelName,
    staffId: string | undefined,
    digest: string,
    code: string,
    attempt: () => Promise<void>,
  ): Promise<ChannelResult> {
    let reason = 'unknown';
    for (let n = 1; n <= this.attempts; n++) {
      if (n > 1) await this.sleep(this.baseDelayMs * 2 ** (n - 2));
      try {
        await attempt();
        await this.record(channel, staffId, digest, 'success', { attempt: n, code });
        return { ok: true, attempts: n };
      } catch (err) {
        const failure =
          err instanceof AttemptError ? err : new AttemptError('internal-error', false);
        reason = failure.reason;
        await this.record(channel, staffId, digest, 'failure', { attempt: n, code, reason });
        this.deps.log.warn(
          { channel, staffId: staffId ?? null, attempt: n, reason },
          'external channel attempt failed',
        );
        if (!failure.retry) return { ok: false, attempts: n, reason };
      }
    }
    return { ok: false, attempts: this.attempts, reason };
  }

  private async reject(
    channel: ChannelName,
    staffId: string | undefined,
    digest: string,
    reason: string,
  ): Promise<ChannelResult> {
    await this.record(
      channel,
      typeof staffId === 'string' ? staffId : undefined,
      digest,
      'failure',
      {
        attempt: 0,
        reason,
      },
    );
    return { ok: false, attempts: 0, reason };
  }

  private async record(
    channel: ChannelName,
    staffId: string | undefined,
    digest: string,
    outcome: 'success' | 'failure',
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.db.transaction((tx) =>
      this.deps.audit.append(tx, {
        action: `notify.${channel}`,
        outcome,
        targetType: staffId ? 'user' : 'recipient',
        targetId: staffId ?? digest,
        details: { ...details, recipient: digest },
      }),
    );
  }
}
