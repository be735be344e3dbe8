import type { EntityManager } from 'typeorm';
import { AuditHeadEntity, AuditRowEntity, type AuditRow } from './audit.entity.js';
import { GENESIS_HASH, rowHash } from './audit.hash.js';

export type VerifyResult =
  | { ok: true; rows: number; head: string }
  | { ok: false; rows: number; badSeq: number | null; reason: string };

const BATCH = 5000;

/**
 * Walks the whole chain in order and checks, row by row: the sequence has no
 * gap, each row names the previous row's hash, and each row's own hash matches
 * its content. With `expectHead` (a head printed by an earlier run) it also
 * checks that this earlier head is still in the chain, which detects a cut tail.
 */
export async function verifyAuditChain(
  manager: EntityManager,
  options: { expectHead?: string } = {},
): Promise<VerifyResult> {
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  let sawExpected = options.expectHead === undefined || options.expectHead === GENESIS_HASH;
  let rows = 0;
  for (;;) {
    const batch: AuditRow[] = await manager
      .createQueryBuilder(AuditRowEntity, 'a')
      .where('a.seq >= :from', { from: expectedSeq })
      .orderBy('a.seq', 'ASC')
      .limit(BATCH)
      .getMany();
    for (const row of batch) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        return {
          ok: false,
          rows,
          badSeq: seq,
          reason: `expected row ${expectedSeq} but found row ${seq} (a row was deleted or inserted)`,
        };
      }
      if (row.prevHash !== prev) {
        return {
          ok: false,
          rows,
          badSeq: seq,
          reason: 'previous-hash link is broken (rows deleted, inserted or reordered)',
        };
      }
      const computed = rowHash({ ...row, seq });
      if (computed !== row.hash) {
        return {
          ok: false,
          rows,
          badSeq: seq,
          reason: 'content does not match its hash (row edited)',
        };
      }
      if (row.hash === options.expectHead) sawExpected = true;
      prev = row.hash;
      expectedSeq += 1;
      rows += 1;
    }
    if (batch.length < BATCH) break;
  }
  const head = await manager.findOneBy(AuditHeadEntity, { id: 1 });
  if (head && (Number(head.seq) !== rows || head.hash !== prev)) {
    return {
      ok: false,
      rows,
      badSeq: rows + 1,
      reason: `the chain ends at row ${rows} but the head records row ${Number(head.seq)} (tail cut)`,
    };
  }
  if (!sawExpected) {
    return {
      ok: false,
      rows,
      badSeq: null,
      reason: 'the expected head is not in the chain (tail cut or chain rewritten)',
    };
  }
  return { ok: true, rows, head: prev };
}
