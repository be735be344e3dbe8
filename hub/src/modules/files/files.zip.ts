/*
 * Just enough of the ZIP format to list the entry names of an Office Open XML
 * file from its central directory. Every offset is bounds-checked: the input
 * is whatever a client uploaded, and a malformed file must yield `null`, never
 * an exception.
 */

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIR = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
/** More entries than any real Office document has; a guard against zip bombs of names. */
const MAX_ENTRIES = 20_000;

interface CentralDirectory {
  count: number;
  size: number;
  offset: number;
}

function findEnd(b: Buffer): number {
  const lowest = Math.max(0, b.length - 22 - 0xffff);
  for (let i = b.length - 22; i >= lowest; i--) {
    if (b.readUInt32LE(i) === END_OF_CENTRAL_DIR) return i;
  }
  return -1;
}

function centralDirectory(b: Buffer, end: number): CentralDirectory | null {
  const dir = {
    count: b.readUInt16LE(end + 10),
    size: b.readUInt32LE(end + 12),
    offset: b.readUInt32LE(end + 16),
  };
  if (dir.count !== 0xffff && dir.size !== 0xffffffff && dir.offset !== 0xffffffff) return dir;
  const locator = end - 20;
  if (locator < 0 || b.readUInt32LE(locator) !== ZIP64_LOCATOR) return null;
  const at = Number(b.readBigUInt64LE(locator + 8));
  if (at + 56 > b.length || b.readUInt32LE(at) !== ZIP64_END) return null;
  return {
    count: Number(b.readBigUInt64LE(at + 32)),
    size: Number(b.readBigUInt64LE(at + 40)),
    offset: Number(b.readBigUInt64LE(at + 48)),
  };
}

/** The entry names of a ZIP file (central directory order), or `null` if `b` is not a readable ZIP. */
export function zipEntryNames(b: Buffer): string[] | null {
  if (b.length < 30 || b.readUInt32LE(0) !== LOCAL_HEADER) return null;
  const end = findEnd(b);
  if (end < 0) return null;
  const dir = centralDirectory(b, end);
  if (!dir || dir.count > MAX_ENTRIES || dir.offset + dir.size > b.length) return null;
  const names: string[] = [];
  const limit = dir.offset + dir.size;
  let p = dir.offset;
  for (let i = 0; i < dir.count; i++) {
    if (p + 46 > limit || b.readUInt32LE(p) !== CENTRAL_HEADER) return null;
    const nameLength = b.readUInt16LE(p + 28);
    const extraLength = b.readUInt16LE(p + 30);
    const commentLength = b.readUInt16LE(p + 32);
    if (p + 46 + nameLength > limit) return null;
    names.push(b.toString('utf8', p + 46, p + 46 + nameLength));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}
