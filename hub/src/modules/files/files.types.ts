import type { EntityManager } from 'typeorm';

/**
 * The content types the hub accepts as attachments (MSG-10), with the file
 * name extensions that fit each one (the first is the one appended when a
 * name lacks a fitting extension) and whether a browser may show it inline.
 * Anything not listed here is refused with `files.unsupported_type`.
 */
export const FILE_TYPES = {
  'image/jpeg': { extensions: ['jpg', 'jpeg'], inline: true },
  'image/png': { extensions: ['png'], inline: true },
  'image/gif': { extensions: ['gif'], inline: true },
  'image/webp': { extensions: ['webp'], inline: true },
  'image/heic': { extensions: ['heic'], inline: true },
  'image/heif': { extensions: ['heif', 'heic'], inline: true },
  'application/pdf': { extensions: ['pdf'], inline: false },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    extensions: ['docx'],
    inline: false,
  },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
    extensions: ['xlsx'],
    inline: false,
  },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': {
    extensions: ['pptx'],
    inline: false,
  },
  'application/msword': { extensions: ['doc'], inline: false },
  'application/vnd.ms-excel': { extensions: ['xls'], inline: false },
  'application/vnd.ms-powerpoint': { extensions: ['ppt'], inline: false },
  'text/plain': { extensions: ['txt', 'csv', 'tsv', 'log', 'md'], inline: false },
} as const satisfies Record<string, { extensions: readonly string[]; inline: boolean }>;

/** A content type the hub accepts. */
export type FileType = keyof typeof FILE_TYPES;

/** What clients see of an attachment (in messages and history). */
export interface AttachmentView {
  id: string;
  name: string;
  contentType: string;
  /** Plaintext size in bytes. */
  size: number;
}

/** The answer to an upload. */
export interface UploadedAttachment extends AttachmentView {
  /** SHA-256 of the plaintext, lower-case hex. */
  sha256: string;
  createdAt: string;
  /** A thumbnail was made (JPEG and PNG images): `GET /api/v1/attachments/:id/thumbnail`. */
  thumbnail: boolean;
}

/**
 * What messaging asks of the files module when a message carries attachments.
 * `check` before the send transaction, `claim` inside it, `forMessages` when
 * building views.
 */
export interface AttachmentStore {
  /**
   * Resolves when every id is an attachment of `conversationId`, uploaded by
   * `uploaderId` and not yet attached to a message; otherwise throws
   * `files.not_found` with `field` = `attachmentIds.N` (the first bad one; an
   * id listed twice is `validation.invalid`).
   */
  check(
    ids: readonly string[],
    conversationId: string,
    uploaderId: string,
  ): Promise<AttachmentView[]>;
  /**
   * Attaches the uploads to `messageId` inside the caller's transaction. Throws
   * `files.not_found` (so the caller's transaction rolls back) if any of them
   * is gone or was claimed by another message meanwhile.
   */
  claim(tx: EntityManager, ids: readonly string[], messageId: string): Promise<void>;
  /**
   * The attachments of each message, oldest upload first. Messages without
   * attachments are absent from the map (use `map.get(id) ?? []`).
   */
  forMessages(messageIds: readonly string[]): Promise<Map<string, AttachmentView[]>>;
}

/** The port messaging supplies: current membership of a conversation. */
export interface FilesAccess {
  isMember(userId: string, conversationId: string): Promise<boolean>;
}
