/**
 * The one wrapper every IPC handler goes through: it checks that the call
 * comes from the top-level frame of the trusted hub origin and that the
 * payload matches the channel's zod schema (`src/common/ipc.ts`) before the
 * handler runs. A refused call rejects with a short code (`ipc.forbidden_sender`,
 * `ipc.invalid_payload`) and is logged without its payload.
 */
import { IPC_PAYLOADS, type IpcChannel, type IpcPayload } from '../../common/ipc.js';
import { isTrustedSender, type IpcSenderFrame } from './web-policy.js';

/** The part of Electron's `ipcMain` the router uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** The part of Electron's `IpcMainInvokeEvent` the router reads. */
export interface IpcEventLike {
  senderFrame: IpcSenderFrame | null;
}

export interface IpcLog {
  warn(fields: Record<string, unknown>, msg: string): void;
}

export class IpcRefused extends Error {
  constructor(
    readonly code: 'ipc.forbidden_sender' | 'ipc.invalid_payload',
    readonly field?: string,
  ) {
    super(code);
  }
}

export class IpcRouter {
  private readonly channels = new Set<string>();

  constructor(
    private readonly ipc: IpcMainLike,
    /** The trusted origin now (it changes when the hub URL setting changes). */
    private readonly trustedOrigin: () => string,
    private readonly log: IpcLog,
  ) {}

  handle<C extends IpcChannel>(channel: C, handler: (payload: IpcPayload<C>) => unknown): void {
    if (this.channels.has(channel)) throw new Error(`duplicate IPC handler ${channel}`);
    this.channels.add(channel);
    const schema = IPC_PAYLOADS[channel];
    this.ipc.handle(channel, async (event, ...args) => {
      if (!isTrustedSender(event?.senderFrame, this.trustedOrigin())) {
        this.log.warn({ channel, reason: 'ipc.forbidden_sender' }, 'IPC call refused');
        throw new IpcRefused('ipc.forbidden_sender');
      }
      if (args.length > 1) {
        this.log.warn({ channel, reason: 'ipc.invalid_payload' }, 'IPC call refused');
        throw new IpcRefused('ipc.invalid_payload');
      }
      const parsed = schema.safeParse(args[0]);
      if (!parsed.success) {
        const field = parsed.error.issues[0]?.path.join('.') ?? '';
        this.log.warn({ channel, reason: 'ipc.invalid_payload', field }, 'IPC call refused');
        throw new IpcRefused('ipc.invalid_payload', field);
      }
      return handler(parsed.data);
    });
  }

  /** Removes every handler (window teardown, tests). */
  dispose(): void {
    for (const c of this.channels) this.ipc.removeHandler(c);
    this.channels.clear();
  }
}
