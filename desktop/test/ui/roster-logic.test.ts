import assert from 'node:assert/strict';
import type { CoverageReport, ShiftView } from '@konsilium/shared';
import {
  addDays,
  conflictedShifts,
  gapOn,
  localDate,
  localTime,
  monthDates,
  addMonths,
  presetTimes,
  shiftsOn,
  shortName,
  weekDates,
  weekStart,
  zonedInstant,
} from '../../src/ui/data/roster-logic.js';

function shift(
  id: string,
  start: string,
  end: string,
  state: ShiftView['state'] = 'published',
): ShiftView {
  return {
    id,
    roleId: 'r1',
    userId: 'u1',
    plannedUserId: 'u1',
    start,
    end,
    kind: 'other',
    state,
    source: 'manual',
    patternId: null,
    swapId: null,
    note: null,
    createdAt: start,
    updatedAt: start,
  };
}

describe('ui: roster helpers (local times in a unit zone)', () => {
  it('turns local dates and times into instants in Moscow, Yekaterinburg and Vladivostok', () => {
    assert.equal(
      zonedInstant('2026-12-01', '08:00', 'Europe/Moscow').toISOString(),
      '2026-12-01T05:00:00.000Z',
    );
    assert.equal(
      zonedInstant('2026-12-01', '08:00', 'Asia/Yekaterinburg').toISOString(),
      '2026-12-01T03:00:00.000Z',
    );
    assert.equal(
      zonedInstant('2026-12-01', '00:30', 'Asia/Vladivostok').toISOString(),
      '2026-11-30T14:30:00.000Z',
    );
    // A zone with daylight saving time: both sides of the change.
    assert.equal(
      zonedInstant('2026-03-28', '12:00', 'Europe/Berlin').toISOString(),
      '2026-03-28T11:00:00.000Z',
    );
    assert.equal(
      zonedInstant('2026-03-30', '12:00', 'Europe/Berlin').toISOString(),
      '2026-03-30T10:00:00.000Z',
    );
  });

  it('reads instants back as local dates and clock times', () => {
    assert.equal(localDate('2026-11-30T22:30:00Z', 'Europe/Moscow'), '2026-12-01');
    assert.equal(localTime('2026-11-30T22:30:00Z', 'Europe/Moscow'), '01:30');
    assert.equal(localDate('2026-11-30T22:30:00Z', 'UTC'), '2026-11-30');
  });

  it('gives the Monday-based week and day arithmetic across months and years', () => {
    assert.equal(weekStart('2026-11-27'), '2026-11-23'); // a Friday
    assert.equal(weekStart('2026-11-23'), '2026-11-23'); // a Monday
    assert.equal(weekStart('2026-11-29'), '2026-11-23'); // a Sunday
    assert.equal(addDays('2026-12-31', 1), '2027-01-01');
    assert.deepEqual(weekDates('2026-12-28'), [
      '2026-12-28',
      '2026-12-29',
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-01-02',
      '2027-01-03',
    ]);
  });

  it('lists the days of a month and steps by months', () => {
    const feb = monthDates('2028-02-15');
    assert.equal(feb.length, 29);
    assert.equal(feb[0], '2028-02-01');
    assert.equal(feb[28], '2028-02-29');
    assert.equal(monthDates('2026-11-30').length, 30);
    assert.equal(addMonths('2026-12-31', 1), '2027-01-01');
    assert.equal(addMonths('2026-01-15', -1), '2025-12-01');
  });

  it('builds day, night (across midnight) and «сутки» shifts in the unit zone', () => {
    assert.deepEqual(presetTimes('day', '2026-12-01', 'Europe/Moscow'), {
      start: '2026-12-01T05:00:00.000Z',
      end: '2026-12-01T17:00:00.000Z',
    });
    assert.deepEqual(presetTimes('night', '2026-12-31', 'Asia/Vladivostok'), {
      start: '2026-12-31T10:00:00.000Z',
      end: '2026-12-31T22:00:00.000Z',
    });
    assert.deepEqual(presetTimes('day24', '2026-12-01', 'Asia/Yekaterinburg'), {
      start: '2026-12-01T03:00:00.000Z',
      end: '2026-12-02T03:00:00.000Z',
    });
  });

  it('places shifts on their local start day and marks gaps and conflicts', () => {
    const zone = 'Europe/Moscow';
    const night = shift('a', '2026-12-01T17:00:00Z', '2026-12-02T05:00:00Z');
    const late = shift('b', '2026-12-01T22:00:00Z', '2026-12-02T05:00:00Z', 'draft');
    const gone = shift('c', '2026-12-01T05:00:00Z', '2026-12-01T17:00:00Z', 'cancelled');
    const list = [late, night, gone];
    assert.deepEqual(
      shiftsOn(list, 'r1', '2026-12-01', zone).map((s) => s.id),
      ['a'],
    );
    assert.deepEqual(
      shiftsOn(list, 'r1', '2026-12-02', zone).map((s) => s.id),
      ['b'],
    );
    const report: CoverageReport = {
      from: '2026-11-30T21:00:00Z',
      to: '2026-12-07T21:00:00Z',
      minRestHours: 12,
      gaps: [{ roleId: 'r1', start: '2026-12-03T05:00:00Z', end: '2026-12-03T17:00:00Z' }],
      doubleBookings: [{ userId: 'u1', shiftIds: ['a', 'b'], start: night.start, end: night.end }],
      restViolations: [],
    };
    assert.equal(gapOn(report, 'r1', '2026-12-03', zone), true);
    assert.equal(gapOn(report, 'r1', '2026-12-02', zone), false);
    assert.equal(gapOn(report, 'r2', '2026-12-03', zone), false);
    assert.equal(gapOn(null, 'r1', '2026-12-03', zone), false);
    assert.deepEqual([...conflictedShifts(report)].sort(), ['a', 'b']);
  });

  it('shortens full names to surname and initials', () => {
    assert.equal(shortName('Петров Иван Сергеевич'), 'Петров И. С.');
    assert.equal(shortName('Smith John'), 'Smith J.');
    assert.equal(shortName('  '), '');
  });
});
