import assert from 'node:assert/strict';
import { coverage } from '../src/modules/rosters/rosters.coverage.js';
import { parseTime, splitCsvLine } from '../src/modules/rosters/rosters.import.js';
import { expandPattern } from '../src/modules/rosters/rosters.patterns.js';
import { shiftKind } from '../src/modules/rosters/rosters.views.js';
import type { DutyShiftRow } from '../src/modules/rosters/rosters.entity.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

describe('rosters: pure parts', () => {
  it('a «сутки» across a daylight-saving change still runs 08:00 to 08:00 local', () => {
    const shifts = expandPattern(
      {
        kind: 'cycle',
        anchorDate: '2026-10-24',
        startTime: '08:00',
        hours: 24,
        cycle: [A],
        week: null,
        exceptions: [],
      },
      'Europe/Berlin',
      '2026-10-24',
      '2026-10-25',
    );
    // 24 October: summer time (+02:00); 25 October: the clocks go back at 03:00.
    assert.deepEqual(
      shifts.map((s) => [s.date, s.start, s.end]),
      [
        ['2026-10-24', '2026-10-24T06:00:00.000Z', '2026-10-25T06:00:00.000Z'],
        ['2026-10-25', '2026-10-25T07:00:00.000Z', '2026-10-26T07:00:00.000Z'],
      ],
    );
    // The first one is 25 hours long in absolute time, and still «сутки».
    assert.equal(shiftKind(shifts[0]!.start, shifts[0]!.end, 'Europe/Berlin'), 'day24');
  });

  it('a cycle counts days before its anchor too, and exceptions win', () => {
    const shifts = expandPattern(
      {
        kind: 'cycle',
        anchorDate: '2026-12-10',
        startTime: '20:00',
        hours: 12,
        cycle: [A, null, B],
        week: null,
        exceptions: [{ date: '2026-12-13', userId: null }],
      },
      'Asia/Vladivostok',
      '2026-12-07',
      '2026-12-16',
    );
    assert.deepEqual(
      shifts.map((s) => [s.date, s.userId === A ? 'A' : 'B']),
      [
        ['2026-12-07', 'A'],
        ['2026-12-09', 'B'],
        ['2026-12-10', 'A'],
        ['2026-12-12', 'B'],
        ['2026-12-15', 'B'],
        ['2026-12-16', 'A'],
      ],
    );
    assert.equal(shiftKind(shifts[0]!.start, shifts[0]!.end, 'Asia/Vladivostok'), 'night');
  });

  it('CSV cells and times', () => {
    assert.deepEqual(splitCsvLine('a;"b; c";"d ""e"""', ';'), ['a', 'b; c', 'd "e"']);
    assert.equal(
      parseTime('2026-12-01 08:00', 'Asia/Yekaterinburg'),
      Date.parse('2026-12-01T03:00:00Z'),
    );
    assert.equal(parseTime('2026-12-01T08:00:00+03:00', 'UTC'), Date.parse('2026-12-01T05:00:00Z'));
    for (const bad of ['2026-12-01', '2026-13-01 08:00', '2026-12-01T08:00:00', 'завтра'])
      assert.equal(parseTime(bad, 'Europe/Moscow'), null, bad);
  });

  it('coverage of an empty period is one gap; back-to-back shifts are not double-booked', () => {
    const row = (id: string, userId: string, start: string, end: string): DutyShiftRow => ({
      id,
      roleId: 'r',
      userId,
      plannedUserId: userId,
      startAt: start,
      endAt: end,
      state: 'published',
      source: 'manual',
      patternId: null,
      patternDate: null,
      swapId: null,
      note: null,
      createdAt: start,
      updatedAt: start,
    });
    const from = '2026-12-01T00:00:00.000Z';
    const to = '2026-12-02T00:00:00.000Z';
    assert.deepEqual(coverage(['r'], [], from, to, 12).gaps, [
      { roleId: 'r', start: from, end: to },
    ]);
    const r = coverage(
      ['r'],
      [row('1', A, from, '2026-12-01T12:00:00.000Z'), row('2', A, '2026-12-01T12:00:00.000Z', to)],
      from,
      to,
      12,
    );
    assert.deepEqual(r.gaps, []);
    assert.deepEqual(r.doubleBookings, []);
    assert.deepEqual(
      r.restViolations.map((v) => v.restHours),
      [0],
    );
  });
});
