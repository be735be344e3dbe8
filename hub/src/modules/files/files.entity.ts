import { EntitySchema } from 'typeorm';

/** One uploaded attachment; `messageId` is null until a message claims it. */
export interface AttachmentRow {
  id: string;
  conversationId: string;
  uploaderId: string;
  messageId: string | null;
  /** The cleaned file name as shown to members; never logged or audited. */
  name: string;
  contentType: string;
  /** Plaintext bytes (PostgreSQL returns bigint as a string). */
  size: string | number;
  /** SHA-256 of the plaintext, lower-case hex. */
  sha256: string;
  /** Path of the encrypted file relative to `<dataDir>/attachments`. */
  storageKey: string;
  createdAt: string;
}

const v = (length: number, nullable = false, name?: string) => ({
  type: 'varchar' as const,
  length,
  nullable,
  ...(name ? { name } : {}),
});

export const AttachmentEntity = new EntitySchema<AttachmentRow>({
  name: 'Attachment',
  tableName: 'attachment',
  columns: {
    id: { ...v(36), primary: true },
    conversationId: v(36, false, 'conversation_id'),
    uploaderId: v(36, false, 'uploader_id'),
    messageId: v(36, true, 'message_id'),
    name: v(255),
    contentType: v(100, false, 'content_type'),
    size: { type: 'bigint' },
    sha256: v(64),
    storageKey: v(80, false, 'storage_key'),
    createdAt: v(30, false, 'created_at'),
  },
});

export const FILES_ENTITIES = [AttachmentEntity];
