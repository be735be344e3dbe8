import assert from 'node:assert/strict';
import type { PresenceView, SwapView } from '@konsilium/shared';
import {
  calendarPath,
  calendarUrl,
  profileContacts,
  profilePresence,
  can,
  parseDates,
  patternRequest,
  swapActions,
  type PatternForm,
} from '../../src/ui/data/duty-logic.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

function swap(patch: Partial<SwapView>): SwapView {
  return {
    id: 's1',
    kind: 'giveaway',
    shiftId: 'sh1',
    counterShiftId: null,
    fromUserId: A,
    toUserId: B,
    state: 'requested',
    needsApproval: true,
    requestedBy: A,
    decidedBy: null,
    note: null,
    createdAt: '2026-11-27T09:00:00.000Z',
    updatedAt: '2026-11-27T09:00:00.000Z',
    ...patch,
  };
}

describe('ui duty logic', () => {
  it('swap steps: the colleague answers, a coordinator approves an accepted request, the requester withdraws', () => {
    assert.deepEqual(swapActions(swap({}), B, false), ['accept', 'decline']);
    assert.deepEqual(swapActions(swap({}), A, false), ['cancel']);
    assert.deepEqual(swapActions(swap({}), C, false), []);
    // A coordinator may reject a new request but approves only after acceptance.
    assert.deepEqual(swapActions(swap({}), C, true), ['reject']);
    assert.deepEqual(swapActions(swap({ state: 'accepted' }), C, true), ['approve', 'reject']);
    assert.deepEqual(swapActions(swap({ state: 'accepted', needsApproval: false }), C, true), [
      'reject',
    ]);
    // After acceptance the colleague has nothing more to do; the owner may still withdraw.
    assert.deepEqual(swapActions(swap({ state: 'accepted' }), B, false), []);
    assert.deepEqual(swapActions(swap({ state: 'accepted' }), A, false), ['cancel']);
    for (const state of ['applied', 'declined', 'rejected', 'cancelled'] as const)
      assert.deepEqual(swapActions(swap({ state }), A, true), [], state);
    // A coordinator who asked on someone's behalf may withdraw it too.
    assert.deepEqual(swapActions(swap({ requestedBy: C }), C, true), ['reject', 'cancel']);
  });

  it('features follow the permissions /api/v1/me lists, never the role names', () => {
    assert.equal(
      can({ permissions: ['directory.read', 'rosters.manage'] }, 'rosters.manage'),
      true,
    );
    assert.equal(can({ permissions: ['directory.read'] }, 'rosters.manage'), false);
    assert.equal(can({}, 'rosters.manage'), false);
    assert.equal(can(null, 'directory.read'), false);
  });

  it('exception dates: real calendar dates only, sorted and without repeats', () => {
    assert.deepEqual(parseDates('2026-12-31, 2026-12-01\n2026-12-01;  '), {
      dates: ['2026-12-01', '2026-12-31'],
      bad: [],
    });
    assert.deepEqual(parseDates('2026-02-30 31.12.2026 x'), {
      dates: [],
      bad: ['2026-02-30', '31.12.2026', 'x'],
    });
    assert.deepEqual(parseDates(''), { dates: [], bad: [] });
  });

  it('pattern requests: «сутки через трое» as a 4-day cycle, weekly by weekday, skips as exceptions', () => {
    const form: PatternForm = {
      roleId: 'r1',
      name: 'Сутки через трое',
      kind: 'cycle',
      anchorDate: '2026-12-01',
      startTime: '08:00',
      hours: 24,
      cycleDays: 4,
      weekdays: [],
      userId: A,
      skip: '2026-12-09',
    };
    assert.deepEqual(patternRequest(form), {
      ok: true,
      body: {
        roleId: 'r1',
        name: 'Сутки через трое',
        anchorDate: '2026-12-01',
        startTime: '08:00',
        hours: 24,
        exceptions: [{ date: '2026-12-09', userId: null }],
        kind: 'cycle',
        cycle: [A, null, null, null],
      },
    });
    const weekly = patternRequest({ ...form, kind: 'weekly', weekdays: [5, 1, 5], hours: 12 });
    assert.equal(weekly.ok, true);
    if (weekly.ok) {
      assert.equal(weekly.body.kind, 'weekly');
      assert.deepEqual(weekly.body.week, [
        { weekday: 1, userId: A },
        { weekday: 5, userId: A },
      ]);
      assert.equal(weekly.body.cycle, undefined);
    }
    assert.deepEqual(patternRequest({ ...form, userId: '' }), { ok: false, problem: 'person' });
    assert.deepEqual(patternRequest({ ...form, kind: 'weekly' }), {
      ok: false,
      problem: 'weekdays',
    });
    assert.deepEqual(patternRequest({ ...form, skip: '09.12.2026' }), {
      ok: false,
      problem: 'dates',
    });
    // The cycle length is kept within what the hub accepts.
    const long = patternRequest({ ...form, cycleDays: 500 });
    assert.equal(long.ok && long.body.cycle?.length, 62);
  });

  it('calendar links are absolute URLs on the hub, token included', () => {
    assert.equal(
      calendarUrl('https://hub.example:8443', '/api/v1/rosters/me/x.ics?token=abc'),
      'https://hub.example:8443/api/v1/rosters/me/x.ics?token=abc',
    );
    assert.equal(
      calendarUrl('http://127.0.0.1:8080/', '/api/v1/rosters/roles/r/calendar.ics?token=t'),
      'http://127.0.0.1:8080/api/v1/rosters/roles/r/calendar.ics?token=t',
    );
  });
});

describe('duty logic: colleague calendars and profile cards', () => {
  it("picks the hub path of the own, a role's and a colleague's calendar link", () => {
    assert.equal(calendarPath('me'), '/api/v1/rosters/me/calendar');
    assert.equal(calendarPath({ roleId: 'r1' }), '/api/v1/rosters/roles/r1/calendar');
    assert.equal(calendarPath({ userId: 'u1' }), '/api/v1/rosters/people/u1/calendar');
  });

  it('shows the end, delegate and note of a manual status only, and duties by their end', () => {
    const base: PresenceView = {
      userId: A,
      status: 'busy',
      source: 'manual',
      until: '2026-12-01T12:00:00.000Z',
      delegateId: B,
      note: 'в операционной',
      duties: [
        { roleId: 'r2', roleName: 'Хирург', until: '2026-12-02T08:00:00.000Z' },
        { roleId: 'r1', roleName: 'Кардиолог', until: '2026-12-01T20:00:00.000Z' },
      ],
    };
    const manual = profilePresence(base)!;
    assert.equal(manual.until, '2026-12-01T12:00:00.000Z');
    assert.equal(manual.delegateId, B);
    assert.equal(manual.note, 'в операционной');
    assert.deepEqual(
      manual.duties.map((d) => d.roleName),
      ['Кардиолог', 'Хирург'],
    );
    const roster = profilePresence({ ...base, status: 'available', source: 'roster' })!;
    assert.equal(roster.until, null);
    assert.equal(roster.delegateId, null);
    assert.equal(roster.note, null);
    assert.equal(profilePresence(undefined), null);
  });

  it('lists contacts in a stable order with dialable and mail links, skipping empty ones', () => {
    assert.deepEqual(
      profileContacts({ phone: '+7 (343) 123-45-67', extension: ' 2101 ', email: 'a@b.ru' }),
      [
        { kind: 'phone', value: '+7 (343) 123-45-67', href: 'tel:+73431234567' },
        { kind: 'extension', value: '2101', href: null },
        { kind: 'email', value: 'a@b.ru', href: 'mailto:a@b.ru' },
      ],
    );
    assert.deepEqual(profileContacts({ phone: ' ', extension: null, email: null }), []);
  });
});
