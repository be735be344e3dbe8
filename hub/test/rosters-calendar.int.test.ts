import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ical from 'node-ical';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { auditActions, makeRole, makeShift, rosterWorld } from './rosters/setup.js';

const FIXTURES = new URL('../../test/rosters/fixtures/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));

eachDatabase('rosters: calendars and imports', (kind) => {
  let t: TestHub;
  beforeEach(async () => (t = await startTestHub(kind)));
  afterEach(async () => t.close());

  const people = async () => {
    const w = await rosterWorld(t, 'Asia/Yekaterinburg');
    const ivanov = await t.makeUser({ login: 'ivanov.is', lastName: 'Иванов', firstName: 'Илья' });
    const petrov = await t.makeUser({ login: 'petrov.pp', lastName: 'Петров', firstName: 'Павел' });
    const sidorov = await t.makeUser({
      login: 'sidorov.ss',
      lastName: 'Сидоров',
      firstName: 'Сергей',
    });
    return { ...w, ivanov, petrov, sidorov };
  };
  const importFile = (
    roleId: string,
    token: string,
    body: Buffer | string,
    query: string,
    type = 'text/calendar',
  ) =>
    t.api.request('POST', `/api/v1/rosters/roles/${roleId}/import?${query}`, {
      token,
      rawBody: typeof body === 'string' ? body : new Uint8Array(body),
      headers: { 'content-type': type },
    });
  const shiftsOf = async (roleId: string, token: string) =>
    (
      await t.api.get(
        `/api/v1/rosters/shifts?roleId=${roleId}&from=2026-11-01T00:00:00Z&to=2027-03-01T00:00:00Z`,
        { token },
      )
    ).body.items as { userId: string; start: string; end: string; state: string; source: string }[];

  it('a role feed behind a revocable token reads back with node-ical', async () => {
    const w = await people();
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Дежурный кардиолог (корпус 1)', unitId: w.unit.id });
    const other = await makeRole(t, c, { name: 'Терапевт', unitId: w.unit.id });
    const a = await makeShift(t, c, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-12-01T20:00:00+05:00',
      end: '2026-12-02T08:00:00+05:00',
    });
    await makeShift(t, c, {
      roleId: role.id,
      userId: w.petrov.id,
      start: '2026-12-02T08:00:00+05:00',
      end: '2026-12-03T08:00:00+05:00',
    });
    await makeShift(t, c, {
      roleId: role.id,
      userId: w.petrov.id,
      start: '2026-12-05T08:00:00+05:00',
      end: '2026-12-06T08:00:00+05:00',
      draft: true,
    });
    const issued = await t.api.post(`/api/v1/rosters/roles/${role.id}/calendar`, undefined, {
      token: c,
    });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    assert.ok(issued.body.token.length >= 40);
    const feed = await t.api.get(issued.body.path as string);
    assert.equal(feed.status, 200);
    assert.match(feed.headers.get('content-type') ?? '', /^text\/calendar/);
    const parsed = ical.sync.parseICS(feed.body as string);
    const events = Object.values(parsed).filter((e): e is ical.VEvent => e?.type === 'VEVENT');
    assert.equal(events.length, 2, 'drafts are not in the feed');
    const first = events.find((e) => e.uid === `${a.id}@konsilium`)!;
    assert.equal(first.start.toISOString(), '2026-12-01T15:00:00.000Z');
    assert.equal(first.end!.toISOString(), '2026-12-02T03:00:00.000Z');
    assert.equal(first.summary, 'Иванов Илья');
    // The token opens this role's feed only; a guessed token opens nothing.
    const wrong = await t.api.get(
      `/api/v1/rosters/roles/${other.id}/calendar.ics?token=${issued.body.token}`,
    );
    assert.equal(wrong.status, 404);
    assert.equal(wrong.body.error.code, 'rosters.calendar_not_found');
    const guess = await t.api.get(
      `/api/v1/rosters/roles/${role.id}/calendar.ics?token=${'A'.repeat(43)}`,
    );
    assert.equal(guess.status, 404);
    const short = await t.api.get(`/api/v1/rosters/roles/${role.id}/calendar.ics?token=abc`);
    assert.equal(short.status, 400);
    // A new link revokes the old one; revoking closes the feed.
    const again = await t.api.post(`/api/v1/rosters/roles/${role.id}/calendar`, undefined, {
      token: c,
    });
    assert.equal((await t.api.get(issued.body.path as string)).status, 404);
    assert.equal((await t.api.get(again.body.path as string)).status, 200);
    const del = await t.api.delete(`/api/v1/rosters/roles/${role.id}/calendar`, { token: c });
    assert.equal(del.status, 204);
    assert.equal((await t.api.get(again.body.path as string)).status, 404);
    // A clinician cannot make role links, but has a personal feed.
    const no = await t.api.post(`/api/v1/rosters/roles/${role.id}/calendar`, undefined, {
      token: w.petrov.token,
    });
    assert.equal(no.status, 403);
    const mine = await t.api.post('/api/v1/rosters/me/calendar', undefined, {
      token: w.petrov.token,
    });
    assert.equal(mine.status, 201);
    const personal = ical.sync.parseICS((await t.api.get(mine.body.path as string)).body as string);
    const pe = Object.values(personal).filter((e): e is ical.VEvent => e?.type === 'VEVENT');
    assert.deepEqual(
      pe.map((e) => [e.start.toISOString(), e.summary]),
      [['2026-12-02T03:00:00.000Z', 'Дежурный кардиолог (корпус 1)']],
    );
    assert.equal((await auditActions(t, 'rosters.calendar.issue')).length, 3);
    assert.equal((await auditActions(t, 'rosters.calendar.revoke')).length, 1);
  });

  it("a coordinator issues, checks and revokes another person's feed", async () => {
    const w = await people();
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Дежурный хирург', unitId: w.unit.id });
    await makeShift(t, c, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-12-03T08:00:00+05:00',
      end: '2026-12-04T08:00:00+05:00',
    });
    const base = `/api/v1/rosters/people/${w.ivanov.id}/calendar`;
    const none = await t.api.get(base, { token: c });
    assert.equal(none.status, 200, JSON.stringify(none.body));
    assert.deepEqual(none.body, { active: false, issuedAt: null });
    // The person's own link is replaced by the coordinator's.
    const own = await t.api.post('/api/v1/rosters/me/calendar', undefined, {
      token: w.ivanov.token,
    });
    const issued = await t.api.post(base, undefined, { token: c });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    assert.equal((await t.api.get(own.body.path as string)).status, 404);
    const feed = await t.api.get(issued.body.path as string);
    assert.equal(feed.status, 200);
    const events = Object.values(ical.sync.parseICS(feed.body as string)).filter(
      (e): e is ical.VEvent => e?.type === 'VEVENT',
    );
    assert.deepEqual(
      events.map((e) => [e.start.toISOString(), e.summary]),
      [['2026-12-03T03:00:00.000Z', 'Дежурный хирург']],
    );
    const live = await t.api.get(base, { token: c });
    assert.equal(live.body.active, true);
    assert.match(live.body.issuedAt as string, /^\d{4}-\d\d-\d\dT.*Z$/);
    assert.equal(JSON.stringify(live.body).includes(issued.body.token as string), false);
    // A clinician cannot manage a colleague's feed; nothing changes.
    for (const [method, path] of [
      ['GET', base],
      ['POST', base],
      ['DELETE', base],
    ] as const) {
      const no = await t.api.request(method, path, { token: w.petrov.token });
      assert.equal(no.status, 403, `${method} ${path}`);
    }
    assert.equal((await t.api.get(issued.body.path as string)).status, 200);
    // Unknown people and malformed ids are refused with stable codes, and audit nothing.
    const before = (await auditActions(t, 'rosters.calendar.issue')).length;
    const ghost = await t.api.post(
      '/api/v1/rosters/people/00000000-0000-4000-8000-000000000000/calendar',
      undefined,
      { token: c },
    );
    assert.equal(ghost.status, 400);
    assert.equal(ghost.body.error.code, 'rosters.user_not_found');
    const bad = await t.api.delete('/api/v1/rosters/people/not-an-id/calendar', { token: c });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'validation.invalid');
    assert.equal((await auditActions(t, 'rosters.calendar.issue')).length, before);
    const del = await t.api.delete(base, { token: c });
    assert.equal(del.status, 204);
    assert.equal((await t.api.get(issued.body.path as string)).status, 404);
    assert.deepEqual((await t.api.get(base, { token: c })).body, { active: false, issuedAt: null });
    const revokes = await auditActions(t, 'rosters.calendar.revoke');
    assert.equal(revokes.length, 1);
    assert.equal(revokes[0]!.targetId, w.ivanov.id);
    assert.equal(revokes[0]!.actorId, w.coordinator.id);
  });

  it('imports a Google-style calendar: RRULE, EXDATE, TZID and a RECURRENCE-ID override', async () => {
    const w = await people();
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Дежурный кардиолог', unitId: w.unit.id });
    const dry = await importFile(role.id, c, fixture('google-sutki.ics'), 'format=ics&dryRun=true');
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.deepEqual(dry.body.problems, []);
    assert.equal(dry.body.created, 0);
    assert.deepEqual(await shiftsOf(role.id, c), [], 'a dry run writes nothing');
    const planned = (
      dry.body.shifts as { userId: string; start: string; end: string; line: number }[]
    ).map((s) => [
      s.userId === w.ivanov.id ? 'И' : s.userId === w.petrov.id ? 'П' : '?',
      s.start,
      s.end,
    ]);
    assert.deepEqual(planned, [
      ['И', '2026-12-01T03:00:00.000Z', '2026-12-02T03:00:00.000Z'],
      ['П', '2026-12-04T15:00:00.000Z', '2026-12-05T03:00:00.000Z'],
      ['И', '2026-12-05T03:00:00.000Z', '2026-12-06T03:00:00.000Z'],
      // 9 December is excluded; the 13th moved to 09:00 and went to Петров.
      ['П', '2026-12-13T04:00:00.000Z', '2026-12-14T04:00:00.000Z'],
      ['И', '2026-12-17T03:00:00.000Z', '2026-12-18T03:00:00.000Z'],
      ['И', '2026-12-21T03:00:00.000Z', '2026-12-22T03:00:00.000Z'],
      ['И', '2026-12-25T03:00:00.000Z', '2026-12-26T03:00:00.000Z'],
      ['И', '2026-12-29T03:00:00.000Z', '2026-12-30T03:00:00.000Z'],
    ]);
    const override = (dry.body.shifts as { start: string; line: number }[]).find((s) =>
      s.start.startsWith('2026-12-13'),
    );
    assert.equal(override!.line, 35);
    const real = await importFile(
      role.id,
      c,
      fixture('google-sutki.ics'),
      'format=ics&draft=false',
    );
    assert.equal(real.status, 200, JSON.stringify(real.body));
    assert.equal(real.body.created, 8);
    const stored = await shiftsOf(role.id, c);
    assert.equal(stored.length, 8);
    assert.ok(stored.every((s) => s.state === 'published' && s.source === 'import'));
    assert.equal((await auditActions(t, 'rosters.import')).length, 1);
  });

  it('imports an Outlook weekly series with a Windows time zone name', async () => {
    const w = await people();
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Ночной дежурный', unitId: w.unit.id });
    const r = await importFile(role.id, c, fixture('outlook-weekly.ics'), 'format=ics');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const starts = (r.body.shifts as { userId: string; start: string }[]).map((s) => {
      assert.equal(s.userId, w.sidorov.id);
      return s.start;
    });
    assert.deepEqual(starts, [
      '2026-11-30T17:00:00.000Z',
      '2026-12-07T17:00:00.000Z',
      '2026-12-10T17:00:00.000Z',
      '2026-12-14T17:00:00.000Z',
      '2026-12-17T17:00:00.000Z',
      '2026-12-21T17:00:00.000Z',
      '2026-12-24T17:00:00.000Z',
      '2026-12-28T17:00:00.000Z',
    ]);
    assert.ok((await shiftsOf(role.id, c)).every((s) => s.state === 'draft'));
  });

  it('bad ICS and CSV files are reported line by line and nothing is half-imported', async () => {
    const w = await people();
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Дежурный кардиолог', unitId: w.unit.id });
    const ics = await importFile(role.id, c, fixture('bad-events.ics'), 'format=ics');
    assert.equal(ics.status, 422, JSON.stringify(ics.body));
    assert.equal(ics.body.error.code, 'rosters.import_invalid');
    assert.deepEqual(
      (ics.body.error.details.problems as { line: number }[]).map((p) => p.line),
      [12, 20, 28],
    );
    assert.match(ics.body.error.details.problems[0].message, /nobody@hospital\.example/);
    const dryIcs = await importFile(
      role.id,
      c,
      fixture('bad-events.ics'),
      'format=ics&dryRun=true',
    );
    assert.equal(dryIcs.status, 200);
    assert.equal(dryIcs.body.shifts.length, 1);
    assert.equal(dryIcs.body.problems.length, 3);
    const csv = [
      'login;start;end;note',
      'ivanov.is;2026-12-01 08:00;2026-12-02 08:00;сутки',
      'petrov.pp;2026-12-02T08:00:00+05:00;2026-12-02T20:00:00+05:00;день',
      'nobody;2026-12-03 08:00;2026-12-03 20:00;',
      'sidorov.ss;вчера;2026-12-03 20:00;',
      'sidorov.ss;2026-12-04 20:00;2026-12-04 08:00;',
      'sidorov.ss;2026-12-04 20:00',
      '',
    ].join('\n');
    const bad = await importFile(role.id, c, csv, 'format=csv', 'text/csv');
    assert.equal(bad.status, 422);
    assert.deepEqual(
      (bad.body.error.details.problems as { line: number; message: string }[]).map((p) => p.line),
      [4, 5, 6, 7],
    );
    assert.deepEqual(await shiftsOf(role.id, c), [], 'nothing half-imported');
    const good = csv.split('\n').slice(0, 3).join('\n');
    const ok = await importFile(role.id, c, good, 'format=csv', 'text/csv');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.created, 2);
    const stored = await shiftsOf(role.id, c);
    assert.deepEqual(
      stored.map((s) => [s.start, s.end]),
      [
        ['2026-12-01T03:00:00.000Z', '2026-12-02T03:00:00.000Z'],
        ['2026-12-02T03:00:00.000Z', '2026-12-02T15:00:00.000Z'],
      ],
    );
    // Unreadable files and bad queries.
    const cases: [string | Buffer, string, number, string][] = [
      ['', 'format=csv', 400, 'rosters.import_unreadable'],
      [Buffer.from([0xff, 0xfe, 0x00, 0x41]), 'format=csv', 400, 'rosters.import_unreadable'],
      ['name,when\nx,y', 'format=csv', 400, 'rosters.import_unreadable'],
      ['just text', 'format=ics', 400, 'rosters.import_unreadable'],
      [good, 'format=xls', 400, 'validation.invalid'],
      [good, 'format=csv&dryRun=maybe', 400, 'validation.invalid'],
    ];
    for (const [body, query, status, code] of cases) {
      const r = await importFile(role.id, c, body, query, 'text/csv');
      assert.equal(r.status, status, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, code);
    }
    const forbidden = await importFile(role.id, w.ivanov.token, good, 'format=csv', 'text/csv');
    assert.equal(forbidden.status, 403);
    assert.equal((await shiftsOf(role.id, c)).length, 2);
    assert.equal((await auditActions(t, 'rosters.import')).length, 1);
  });
});
