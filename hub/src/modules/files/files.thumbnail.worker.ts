/** The worker thread that makes thumbnails (see files.thumbnail.ts and Thumbnailer). */
import { parentPort } from 'node:worker_threads';
import { makeThumbnail, type ThumbnailResult, type ThumbnailSource } from './files.thumbnail.js';

export interface ThumbnailJob {
  id: number;
  bytes: Uint8Array;
  type: ThumbnailSource;
}

parentPort?.on('message', (job: ThumbnailJob) => {
  let result: ThumbnailResult;
  try {
    result = makeThumbnail(
      Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.length),
      job.type,
    );
  } catch {
    result = { ok: false, reason: 'unreadable' };
  }
  parentPort!.postMessage({ id: job.id, result });
});
