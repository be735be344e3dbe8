/*
 * Just enough of the OLE2 compound file format (MS-CFB) to list the names in
 * its directory, which tells a Word, Excel or PowerPoint 97–2003 file from
 * every other OLE2 file (installers, Outlook messages, …). Bounds-checked:
 * malformed input yields `null`, never an exception.
 */

const MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
/** Sector numbers at or above this mark end of chain, free, FAT or DIFAT sectors. */
const MAX_REGULAR_SECTOR = 0xfffffffa;
/** Directory sectors followed at most (a loop in the chain must not hang us). */
const MAX_DIRECTORY_SECTORS = 4096;
/** The FAT sectors listed in the header itself (files beyond ~7 MiB of FAT are not followed). */
const HEADER_DIFAT_ENTRIES = 109;
const DIRECTORY_ENTRY_BYTES = 128;

/** True when `b` starts with the OLE2 signature. */
export function isOle(b: Buffer): boolean {
  return b.length >= MAGIC.length && b.subarray(0, MAGIC.length).equals(MAGIC);
}

/** The names of the storages and streams in an OLE2 file, or `null` if it is not a readable one. */
export function oleEntryNames(b: Buffer): string[] | null {
  if (b.length < 512 || !isOle(b)) return null;
  const shift = b.readUInt16LE(0x1e);
  if (shift !== 9 && shift !== 12) return null;
  const sectorSize = 1 << shift;
  const perFatSector = sectorSize / 4;
  const fatSectors = b.readUInt32LE(0x2c);
  const sectorOffset = (sector: number) => (sector + 1) * sectorSize;

  const next = (sector: number): number => {
    const index = Math.floor(sector / perFatSector);
    if (index >= fatSectors || index >= HEADER_DIFAT_ENTRIES) return MAX_REGULAR_SECTOR;
    const fat = b.readUInt32LE(0x4c + index * 4);
    if (fat >= MAX_REGULAR_SECTOR) return MAX_REGULAR_SECTOR;
    const at = sectorOffset(fat) + (sector % perFatSector) * 4;
    return at + 4 <= b.length ? b.readUInt32LE(at) : MAX_REGULAR_SECTOR;
  };

  const names: string[] = [];
  let sector = b.readUInt32LE(0x30);
  for (let n = 0; sector < MAX_REGULAR_SECTOR && n < MAX_DIRECTORY_SECTORS; n++) {
    const start = sectorOffset(sector);
    if (start + sectorSize > b.length) return null;
    for (let e = start; e < start + sectorSize; e += DIRECTORY_ENTRY_BYTES) {
      const nameBytes = b.readUInt16LE(e + 0x40);
      const type = b[e + 0x42];
      if (type === 0 || nameBytes < 2 || nameBytes > 64) continue;
      names.push(b.toString('utf16le', e, e + nameBytes - 2));
    }
    sector = next(sector);
  }
  return names;
}
