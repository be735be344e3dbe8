import type { HubConfig } from '../../config/index.js';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { Logger } from '../../platform/log/logger.js';
import type { HubModule } from '../../platform/module.js';
import type { AuditLog } from '../audit/index.js';
import { FILES_ENTITIES } from './files.entity.js';
import { filesRoutes } from './files.routes.js';
import { FilesService } from './files.service.js';
import { BlobStore } from './files.storage.js';
import type { AttachmentStore, FilesAccess } from './files.types.js';

export { FILES_ENTITIES } from './files.entity.js';
export { UNCLAIMED_TTL_MS } from './files.service.js';
export { sniffContentType } from './files.sniff.js';
export type {
  AttachmentStore,
  AttachmentView,
  FilesAccess,
  FileType,
  UploadedAttachment,
} from './files.types.js';
export { FILE_TYPES } from './files.types.js';

/** How often unclaimed uploads are looked for (after the run at start). */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export interface FilesDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  config: HubConfig;
  log: Logger;
  /** Supplied by messaging (wired in hub.ts): current membership of a conversation. */
  access: FilesAccess;
}

/**
 * Builds the files module (MSG-10): encrypted attachment storage, the upload
 * and download routes, and the {@link AttachmentStore} messaging uses. The key
 * is loaded (or created) at `start`; unclaimed uploads are purged at start and
 * hourly after.
 */
export function createFiles(deps: FilesDeps): {
  module: HubModule;
  entities: typeof FILES_ENTITIES;
  attachments: AttachmentStore;
  /** Runs the purge of unclaimed uploads now; resolves to the number removed. */
  purgeUnclaimed(): Promise<number>;
} {
  const log = deps.log.child({ module: 'files' });
  const files = new FilesService({
    db: deps.db,
    audit: deps.audit,
    clock: deps.clock,
    log,
    access: deps.access,
    blobs: new BlobStore(deps.config.dataDir),
    dataDir: deps.config.dataDir,
  });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();

  const purge = (): Promise<number> => {
    const run = running.then(() => files.purgeUnclaimed());
    running = run.catch(() => undefined);
    return run.then((count) => {
      if (count > 0) log.info({ count }, 'unclaimed attachments purged');
      return count;
    });
  };
  const purgeQuietly = () =>
    purge().catch((err: unknown) => log.error({ err }, 'purging unclaimed attachments failed'));

  return {
    module: {
      name: 'files',
      routes: filesRoutes({ files, maxAttachmentBytes: deps.config.maxAttachmentBytes }),
      async start() {
        await files.open();
        await purgeQuietly();
        timer = setInterval(() => void purgeQuietly(), PURGE_INTERVAL_MS);
        timer.unref();
      },
      async stop() {
        if (timer) clearInterval(timer);
        timer = null;
        await running;
        files.close();
      },
    },
    entities: FILES_ENTITIES,
    attachments: {
      check: (ids, conversationId, uploaderId) => files.check(ids, conversationId, uploaderId),
      claim: (tx, ids, messageId) => files.claim(tx, ids, messageId),
      forMessages: (messageIds) => files.forMessages(messageIds),
    },
    purgeUnclaimed: purge,
  };
}
