import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/*
 * Thumbnails of JPEG and PNG uploads (MSG-10), in pure JavaScript: decode,
 * shrink by averaging, encode as JPEG. Runs in a worker thread
 * (files.thumbnail.worker.ts), so a big image never blocks the hub's event
 * loop; the functions here are plain and synchronous.
 */

/** The longer side of a thumbnail, in pixels. */
export const THUMB_MAX_SIDE = 320;
/** Images with more pixels than this get no thumbnail (the upload is kept). */
export const THUMB_MAX_PIXELS = 40_000_000;
const JPEG_QUALITY = 75;

export type ThumbnailSource = 'image/jpeg' | 'image/png';

export const canThumbnail = (contentType: string): contentType is ThumbnailSource =>
  contentType === 'image/jpeg' || contentType === 'image/png';

/** Width and height from the file header, without decoding; null if not found. */
export function imageSize(
  bytes: Buffer,
  type: ThumbnailSource,
): { width: number; height: number } | null {
  if (type === 'image/png') {
    // Signature (8), IHDR length (4) and type (4), then width and height.
    if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame) return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    if (marker === 0xd9 || marker === 0xda) return null;
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  return null;
}

export type ThumbnailResult =
  | { ok: true; jpeg: Buffer; width: number; height: number }
  | { ok: false; reason: 'too_large' | 'unreadable' };

/**
 * A JPEG of at most {@link THUMB_MAX_SIDE} px on its longer side; transparent
 * PNG pixels are laid on white. Refuses images over {@link THUMB_MAX_PIXELS}
 * before decoding; a corrupt image is `unreadable`.
 */
export function makeThumbnail(bytes: Buffer, type: ThumbnailSource): ThumbnailResult {
  const size = imageSize(bytes, type);
  if (!size || size.width < 1 || size.height < 1) return { ok: false, reason: 'unreadable' };
  if (size.width * size.height > THUMB_MAX_PIXELS) return { ok: false, reason: 'too_large' };
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img =
      type === 'image/png'
        ? PNG.sync.read(bytes)
        : jpeg.decode(bytes, {
            useTArray: true,
            formatAsRGBA: true,
            maxResolutionInMP: THUMB_MAX_PIXELS / 1_000_000,
            maxMemoryUsageInMB: 1024,
          });
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  if (img.width * img.height > THUMB_MAX_PIXELS) return { ok: false, reason: 'too_large' };
  const scale = Math.min(1, THUMB_MAX_SIDE / Math.max(img.width, img.height));
  const width = Math.max(1, Math.round(img.width * scale));
  const height = Math.max(1, Math.round(img.height * scale));
  const data = shrink(img, width, height);
  const out = jpeg.encode({ width, height, data }, JPEG_QUALITY);
  return { ok: true, jpeg: Buffer.from(out.data), width, height };
}

/** Box-filter downscale of RGBA pixels to RGBA (alpha flattened onto white). */
function shrink(
  img: { width: number; height: number; data: Uint8Array },
  width: number,
  height: number,
): Buffer {
  const sums = new Float64Array(width * height * 3);
  const counts = new Uint32Array(width * height);
  const { data } = img;
  for (let y = 0; y < img.height; y++) {
    const ty = Math.min(height - 1, Math.floor((y * height) / img.height));
    for (let x = 0; x < img.width; x++) {
      const tx = Math.min(width - 1, Math.floor((x * width) / img.width));
      const s = (y * img.width + x) * 4;
      const a = data[s + 3]! / 255;
      const t = ty * width + tx;
      const white = 255 * (1 - a);
      sums[t * 3] = sums[t * 3]! + data[s]! * a + white;
      sums[t * 3 + 1] = sums[t * 3 + 1]! + data[s + 1]! * a + white;
      sums[t * 3 + 2] = sums[t * 3 + 2]! + data[s + 2]! * a + white;
      counts[t] = counts[t]! + 1;
    }
  }
  const out = Buffer.alloc(width * height * 4);
  for (let t = 0; t < width * height; t++) {
    const n = counts[t] || 1;
    out[t * 4] = Math.round(sums[t * 3]! / n);
    out[t * 4 + 1] = Math.round(sums[t * 3 + 1]! / n);
    out[t * 4 + 2] = Math.round(sums[t * 3 + 2]! / n);
    out[t * 4 + 3] = 255;
  }
  return out;
}
