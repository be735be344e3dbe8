import { createHash, randomUUID } from 'node:crypto';
import { In, IsNull, type EntityManager } from 'typeorm';
import { AppError } from '@konsilium/shared';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { CallContext } from '../../platform/http/actor.js';
import type { Logger } from '../../platform/log/logger.js';
import type { AuditLog } from '../audit/index.js';
import { seal, unseal } from './files.crypto.js';
import { AttachmentEntity, type AttachmentRow } from './files.entity.js';
import { loadOrCreateKey } from './files.key.js';
import { cleanName } from './files.names.js';
import { sniffContentType } from './files.sniff.js';
import type { BlobStore } from './files.storage.js';
import { canThumbnail } from './files.thumbnail.js';
import { Thumbnailer } from './files.thumbnailer.js';
import type {
  AttachmentStore,
  AttachmentView,
  FileType,
  FilesAccess,
  UploadedAttachment,
} from './files.types.js';

/** An upload no message has claimed after this long may be purged (24 h). */
export const UNCLAIMED_TTL_MS = 24 * 60 * 60 * 1000;
/** Rows per IN list and per purge transaction. */
const BATCH = 500;

const viewOf = (r: AttachmentRow): AttachmentView => ({
  id: r.id,
  name: r.name,
  contentType: r.contentType,
  size: Number(r.size),
});

/** Where an attachment's thumbnail is stored, next to the file. */
const thumbKey = (storageKey: string) => `${storageKey}.thumb`;
/** The thumbnail's AAD: it cannot pass for the attachment, nor another's thumbnail. */
const thumbAad = (id: string) => `${id}#thumbnail`;

const chunks = <T>(items: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
};

export interface FilesServiceDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  access: FilesAccess;
  blobs: BlobStore;
  dataDir: string;
}

/**
 * Uploads, downloads and the messaging-facing {@link AttachmentStore}. The key
 * is loaded by {@link open} (module start) and wiped by {@link close}.
 */
export class FilesService implements AttachmentStore {
  private key: Buffer | null = null;
  private readonly thumbnailer = new Thumbnailer();

  constructor(private readonly d: FilesServiceDeps) {}

  async open(): Promise<void> {
    this.key = loadOrCreateKey(this.d.dataDir, this.d.log);
    await this.d.blobs.open();
  }

  close(): void {
    this.key?.fill(0);
    this.key = null;
    void this.thumbnailer.stop();
  }

  private requireKey(): Buffer {
    if (!this.key) throw new Error('the files module is not started');
    return this.key;
  }

  /** `messaging.not_member` unless `userId` is a current member of the conversation. */
  async assertMember(userId: string, conversationId: string): Promise<void> {
    if (!(await this.d.access.isMember(userId, conversationId))) {
      throw new AppError('messaging.not_member');
    }
  }

  /** Stores an upload (the caller checked membership before reading the body). */
  async upload(
    ctx: CallContext & { actorId: string },
    conversationId: string,
    bytes: Buffer,
    rawName: string | undefined,
  ): Promise<UploadedAttachment> {
    if (bytes.length === 0) throw new AppError('files.empty');
    const contentType: FileType | null = sniffContentType(bytes);
    if (!contentType) throw new AppError('files.unsupported_type');
    const name = cleanName(rawName, contentType);
    const id = randomUUID();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const storageKey = this.d.blobs.keyOf(id);
    await this.d.blobs.write(storageKey, seal(this.requireKey(), id, bytes));
    const thumbnail = canThumbnail(contentType)
      ? await this.storeThumbnail(id, storageKey, bytes, contentType)
      : false;
    const row: AttachmentRow = {
      id,
      conversationId,
      uploaderId: ctx.actorId,
      messageId: null,
      name,
      contentType,
      size: bytes.length,
      sha256,
      storageKey,
      createdAt: iso(this.d.clock.now()),
    };
    try {
      await this.d.db.transaction(async (tx) => {
        await tx.insert(AttachmentEntity, row);
        await this.d.audit.append(tx, {
          ...ctx,
          action: 'files.upload',
          targetType: 'attachment',
          targetId: id,
          details: { conversationId, contentType, size: bytes.length, sha256 },
        });
      });
    } catch (err) {
      await this.d.blobs.remove(storageKey).catch(() => undefined);
      await this.d.blobs.remove(thumbKey(storageKey)).catch(() => undefined);
      throw err;
    }
    return { ...viewOf(row), sha256, createdAt: row.createdAt, thumbnail };
  }

  /**
   * Makes and stores (encrypted, its own AAD) the thumbnail of a JPEG or PNG
   * upload. An image that is corrupt or over the pixel limit gets none; the
   * upload itself is kept either way.
   */
  private async storeThumbnail(
    id: string,
    storageKey: string,
    bytes: Buffer,
    contentType: 'image/jpeg' | 'image/png',
  ): Promise<boolean> {
    const result = await this.thumbnailer.make(bytes, contentType);
    if (!result.ok) {
      this.d.log.debug({ attachmentId: id, reason: result.reason }, 'no thumbnail for upload');
      return false;
    }
    await this.d.blobs.write(
      thumbKey(storageKey),
      seal(this.requireKey(), thumbAad(id), result.jpeg),
    );
    return true;
  }

  /**
   * The decrypted thumbnail (JPEG) of an image attachment, for the same
   * callers as {@link download}; `files.not_found` if it has none.
   */
  async thumbnail(userId: string, id: string): Promise<Buffer> {
    const row = await this.d.db.manager.findOneBy(AttachmentEntity, { id });
    if (!row) throw new AppError('files.not_found');
    await this.assertMember(userId, row.conversationId);
    if (row.messageId === null && row.uploaderId !== userId) throw new AppError('files.not_found');
    let stored: Buffer;
    try {
      stored = await this.d.blobs.read(thumbKey(row.storageKey));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new AppError('files.not_found', { message: 'This attachment has no thumbnail' });
    }
    try {
      return unseal(this.requireKey(), thumbAad(id), stored);
    } catch (err) {
      this.d.log.error({ attachmentId: id, err }, 'stored thumbnail failed authentication');
      throw new Error(`thumbnail of ${id} failed authentication`, { cause: err });
    }
  }

  /**
   * The decrypted bytes of an attachment for `userId`: a member of its
   * conversation; an unclaimed upload only for its uploader. A file that fails
   * authentication is an internal error and no byte of it leaves.
   */
  async download(userId: string, id: string): Promise<{ view: AttachmentView; bytes: Buffer }> {
    const row = await this.d.db.manager.findOneBy(AttachmentEntity, { id });
    if (!row) throw new AppError('files.not_found');
    await this.assertMember(userId, row.conversationId);
    if (row.messageId === null && row.uploaderId !== userId) throw new AppError('files.not_found');
    const stored = await this.d.blobs.read(row.storageKey);
    let bytes: Buffer;
    try {
      bytes = unseal(this.requireKey(), id, stored);
    } catch (err) {
      this.d.log.error({ attachmentId: id, err }, 'stored attachment failed authentication');
      throw new Error(`attachment ${id} failed authentication`, { cause: err });
    }
    if (createHash('sha256').update(bytes).digest('hex') !== row.sha256) {
      this.d.log.error({ attachmentId: id }, 'stored attachment does not match its sha256');
      throw new Error(`attachment ${id} does not match its sha256`);
    }
    this.d.log.debug(
      { attachmentId: id, userId, size: bytes.length, contentType: row.contentType },
      'attachment served',
    );
    return { view: viewOf(row), bytes };
  }

  async check(
    ids: readonly string[],
    conversationId: string,
    uploaderId: string,
  ): Promise<AttachmentView[]> {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) {
        throw new AppError('validation.invalid', {
          field: `attachmentIds.${i}`,
          message: 'An attachment is listed twice',
        });
      }
      seen.add(id);
    });
    const rows = new Map<string, AttachmentRow>();
    for (const part of chunks(ids)) {
      for (const r of await this.d.db.manager.findBy(AttachmentEntity, { id: In(part) })) {
        rows.set(r.id, r);
      }
    }
    ids.forEach((id, i) => {
      const r = rows.get(id);
      const usable =
        r && r.conversationId === conversationId && r.uploaderId === uploaderId && !r.messageId;
      if (!usable) throw new AppError('files.not_found', { field: `attachmentIds.${i}` });
    });
    return ids.map((id) => viewOf(rows.get(id)!));
  }

  async claim(tx: EntityManager, ids: readonly string[], messageId: string): Promise<void> {
    let claimed = 0;
    for (const part of chunks(ids)) {
      const result = await tx.update(
        AttachmentEntity,
        { id: In(part), messageId: IsNull() },
        { messageId },
      );
      claimed += result.affected ?? 0;
    }
    if (claimed !== new Set(ids).size) {
      throw new AppError('files.not_found', {
        field: 'attachmentIds',
        message: 'An attachment was removed or attached to another message meanwhile',
      });
    }
  }

  async forMessages(messageIds: readonly string[]): Promise<Map<string, AttachmentView[]>> {
    const out = new Map<string, AttachmentView[]>();
    for (const part of chunks([...new Set(messageIds)])) {
      const rows = await this.d.db.manager.find(AttachmentEntity, {
        where: { messageId: In(part) },
        order: { createdAt: 'ASC', id: 'ASC' },
      });
      for (const r of rows) {
        const list = out.get(r.messageId!) ?? [];
        list.push(viewOf(r));
        out.set(r.messageId!, list);
      }
    }
    return out;
  }

  /**
   * Deletes uploads no message claimed within {@link UNCLAIMED_TTL_MS}: rows
   * and their audit record in one transaction per batch, then the files.
   * Rows are locked on PostgreSQL, so a concurrent `claim` either wins (and
   * the row is skipped) or finds it gone (and the send fails cleanly).
   */
  async purgeUnclaimed(): Promise<number> {
    const cutoff = iso(new Date(this.d.clock.now().getTime() - UNCLAIMED_TTL_MS));
    let total = 0;
    for (;;) {
      const removed = await this.d.db.transaction(async (tx) => {
        const query = tx
          .createQueryBuilder(AttachmentEntity, 'a')
          .where('a.messageId IS NULL')
          .andWhere('a.createdAt < :cutoff', { cutoff })
          .orderBy('a.createdAt', 'ASC')
          .limit(BATCH);
        if (this.d.db.kind === 'postgres') query.setLock('pessimistic_write');
        const rows = await query.getMany();
        if (rows.length === 0) return rows;
        const ids = rows.map((r) => r.id);
        await tx.delete(AttachmentEntity, { id: In(ids) });
        await this.d.audit.append(tx, {
          action: 'files.purge',
          targetType: 'attachment',
          details: {
            reason: 'unclaimed',
            olderThan: cutoff,
            count: ids.length,
            attachmentIds: ids,
          },
        });
        return rows;
      });
      for (const r of removed) {
        await this.d.blobs.remove(r.storageKey);
        await this.d.blobs.remove(thumbKey(r.storageKey));
      }
      total += removed.length;
      if (removed.length < BATCH) return total;
    }
  }
}
