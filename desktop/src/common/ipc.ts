/**
 * The IPC contract between the preload (`window.konsilium`) and the main
 * process: every channel name (`ks:<domain>:<verb>`) and the zod schema of its
 * payload. The main process validates every call against these through one
 * wrapper (`src/main/security/ipc-router.ts`); nothing else registers handlers.
 *
 * To add a call: add a channel here with its payload schema, a handler in
 * `src/main/ipc-handlers.ts`, a member in `bridge.ts` and its line in the preload.
 */
import { z } from 'zod';
import { PRIORITIES } from '@konsilium/shared';
import { resolveSettingKey } from './settings.js';

/** Renderer → main calls (`ipcRenderer.invoke`). */
export const IPC = {
  sessionLoadToken: 'ks:session:load-token',
  sessionSaveToken: 'ks:session:save-token',
  sessionClear: 'ks:session:clear',
  notifyShow: 'ks:notify:show',
  notifyBadge: 'ks:notify:badge',
  alertsOverlay: 'ks:alerts:overlay',
  settingsGet: 'ks:settings:get',
  settingsSet: 'ks:settings:set',
  shellOpenExternal: 'ks:shell:open-external',
  contextGet: 'ks:context:get',
} as const;
export type IpcChannel = (typeof IPC)[keyof typeof IPC];

/** Main → renderer pushes (`webContents.send`). */
export const IPC_EVENTS = {
  contextChanged: 'ks:context:changed',
  /** A notification was clicked: `conversationId` (string). */
  conversationOpen: 'ks:conversation:open',
} as const;

const none = z.undefined();

/** Payload schema of every invoke channel (the single argument after the event). */
export const IPC_PAYLOADS = {
  [IPC.sessionLoadToken]: none,
  [IPC.sessionSaveToken]: z.object({ token: z.string().min(16).max(512) }).strict(),
  [IPC.sessionClear]: none,
  [IPC.notifyShow]: z
    .object({
      id: z.string().min(1).max(128),
      priority: z.enum(PRIORITIES),
      title: z.string().max(200),
      body: z.string().max(2000),
      conversationId: z.string().min(1).max(128).optional(),
    })
    .strict(),
  [IPC.notifyBadge]: z.object({ count: z.number().int().min(0).max(1_000_000) }).strict(),
  [IPC.alertsOverlay]: z
    .object({
      messageIds: z.array(z.string().min(1).max(128)).max(500),
      /** The overlay sounds for any new critical alert asking the signed-in user. */
      armed: z.boolean().optional(),
    })
    .strict(),
  [IPC.settingsGet]: none,
  [IPC.settingsSet]: z
    .object({
      key: z.string().refine((k) => resolveSettingKey(k) !== null, 'unknown setting'),
      value: z.union([z.string().max(4000), z.number().finite(), z.boolean()]),
    })
    .strict(),
  [IPC.shellOpenExternal]: z.object({ url: z.string().min(1).max(2048) }).strict(),
  [IPC.contextGet]: none,
} as const satisfies Record<IpcChannel, z.ZodTypeAny>;

export type IpcPayload<C extends IpcChannel> = z.output<(typeof IPC_PAYLOADS)[C]>;
