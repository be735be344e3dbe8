import { z } from 'zod';
import { AppError, Id, isAppError } from '@konsilium/shared';
import { callContext } from '../../platform/http/actor.js';
import { readRawBody } from '../../platform/http/body.js';
import { route, type Route } from '../../platform/http/routes.js';
import { contentDisposition } from './files.names.js';
import type { FilesService } from './files.service.js';
import { FILE_TYPES, type FileType } from './files.types.js';

const IdParam = z.object({ id: Id }).strict();
/** The name as the client sent it; cleaned (and limited to 255) by the service. */
const UploadQuery = z.object({ name: z.string().max(4096).optional() }).strict();

/** Reads the upload, turning the generic body limit into `files.too_large`. */
async function readUpload(raw: Parameters<typeof readRawBody>[0], limit: number): Promise<Buffer> {
  try {
    return await readRawBody(raw, limit);
  } catch (err) {
    if (isAppError(err) && err.code === 'http.payload_too_large') {
      throw new AppError('files.too_large', { details: { limit } });
    }
    throw err;
  }
}

/** Response headers of a download: the sniffed type, never rendered as anything else. */
function downloadHeaders(name: string, contentType: string): Record<string, string> {
  const known = FILE_TYPES[contentType as FileType] as (typeof FILE_TYPES)[FileType] | undefined;
  return {
    'Content-Type': contentType === 'text/plain' ? 'text/plain; charset=utf-8' : contentType,
    'Content-Disposition': contentDisposition(name, known?.inline ?? false),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, no-store',
    'Content-Security-Policy': "default-src 'none'; sandbox",
  };
}

/** Upload into a conversation, download by id. */
export function filesRoutes(s: { files: FilesService; maxAttachmentBytes: number }): Route[] {
  const use = { permission: 'messaging.use' } as const;
  return [
    route({
      method: 'POST',
      path: '/api/v1/conversations/:id/attachments',
      access: use,
      params: IdParam,
      query: UploadQuery,
      bodyKind: 'raw',
      handler: async ({ params, query, raw, actor, meta }) => {
        const userId = actor!.userId;
        // Membership first: a non-member's bytes are not even read.
        await s.files.assertMember(userId, params.id);
        const bytes = await readUpload(raw, s.maxAttachmentBytes);
        const ctx = { ...callContext(actor, meta), actorId: userId };
        return { status: 201, body: await s.files.upload(ctx, params.id, bytes, query.name) };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/attachments/:id',
      access: use,
      params: IdParam,
      handler: async ({ params, actor }) => {
        const { view, bytes } = await s.files.download(actor!.userId, params.id);
        return { body: bytes, headers: downloadHeaders(view.name, view.contentType) };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/attachments/:id/thumbnail',
      access: use,
      params: IdParam,
      handler: async ({ params, actor }) => {
        const bytes = await s.files.thumbnail(actor!.userId, params.id);
        return { body: bytes, headers: downloadHeaders('thumbnail.jpg', 'image/jpeg') };
      },
    }),
  ];
}
