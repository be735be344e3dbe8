/**
 * End-to-end: rosters and role addressing in the web client served by a real
 * demo hub, in two headless Chromium browsers. A coordinator assigns the shift
 * covering tonight for a duty role in the roster editor and publishes it; a
 * clinician sees the person in «Кто дежурит сейчас» and writes to the role;
 * the assigned person receives the message and the sender sees to whom it
 * went. Then a swap request is accepted by the colleague and approved by a
 * coordinator, a coordinator assigns an emergency take-over, adds a
 * «сутки через трое» pattern with an exception and issues and revokes a
 * role's calendar link. Needs Debian `chromium` and `chromium-driver` (skipped loudly
 * without them unless KONSILIUM_TEST_REQUIRE_BROWSER=1). Screenshots go to
 * artifacts/screenshots/ (prefix `r`).
 */
import assert from 'node:assert/strict';
import {
  adminToken,
  api,
  byId,
  demoUser,
  shot,
  signIn,
  switchUser,
  text,
  twoBrowserSpec,
} from './support.js';

interface Unit {
  id: string;
  code: string | null;
  timeZone: string;
  children: Unit[];
}

function findUnit(units: Unit[], code: string): Unit | null {
  for (const u of units) {
    if (u.code === code) return u;
    const hit = findUnit(u.children, code);
    if (hit) return hit;
  }
  return null;
}

/** The local date and hour of now in `zone`. */
function localNow(zone: string): { date: string; hour: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
  }).formatToParts(new Date());
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { date: `${get('year')}-${get('month')}-${get('day')}`, hour: Number(get('hour')) };
}

function previousDay(date: string): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

describe('rosters end to end (coordinator, clinician, on-call person; real hub)', function () {
  this.timeout(180_000);

  const session = twoBrowserSpec({
    spec: 'rosters browser',
    prefix: 'konsilium-e2e-rosters-',
    // The coordinator plans on a wide screen; the on-call person works in the docked sidebar.
    viewports: [
      { width: 1100, height: 900 },
      { width: 460, height: 860 },
    ],
  });

  it('a coordinator assigns and publishes the shift covering tonight; a clinician writes to the role; the on-call person receives it and the sender sees to whom it went', async () => {
    const { A, B, url } = session.ready();

    // Setup through the API: a new duty role with nobody rostered (a gap, no fallback)
    // in the cardiology ward, where the coordinator (ivanov) works.
    const admin = { token: await adminToken(url) };
    const units = await api<{ items: Unit[] }>(url, '/api/v1/directory/units', admin.token);
    const ward = findUnit(units.items, 'card-ward');
    assert.ok(ward, 'the demo hospital has the cardiology ward');
    const role = await api<{ id: string; timeZone: string }>(
      url,
      '/api/v1/rosters/roles',
      admin.token,
      { name: 'Дежурный врач кардиологии (палаты)', unitId: ward.id },
    );
    // A reserve role nobody covers: its gap falls back to the role above.
    const reserve = await api<{ id: string }>(url, '/api/v1/rosters/roles', admin.token, {
      name: 'Резервный врач (палаты)',
      unitId: ward.id,
      fallback: { kind: 'role', id: role.id },
    });
    const team = await api<{ id: string }>(url, '/api/v1/rosters/teams', admin.token, {
      name: 'Бригада кардиологии (палаты)',
      kind: 'dynamic',
      roleIds: [role.id],
    });
    const people = await api<{ items: { id: string; login: string }[] }>(
      url,
      '/api/v1/directory/users?q=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%B0&limit=10',
      admin.token,
    );
    const ivanova = people.items.find((u) => u.login === 'ivanova');
    assert.ok(ivanova, 'the demo hospital has ivanova');

    // The shift covering now: the night (20:00–08:00) when it is night in the unit's
    // zone, else the day (08:00–20:00).
    const now = localNow(role.timeZone);
    const preset = now.hour >= 20 || now.hour < 8 ? 'night' : 'day';
    const date = now.hour < 8 ? previousDay(now.date) : now.date;

    // B (ivanova) signs in first so the message reaches an open session.
    await signIn(B, url, 'ivanova');

    // A: the coordinator opens the roster editor; the new role shows a gap on that day.
    await signIn(A, url, 'ivanov');
    await byId(A, 'nav-duty').click();
    await byId(A, 'duty-roster').click();
    await byId(A, 'roster-row', `[data-role="${role.id}"]`).waitForDisplayed({ timeout: 20_000 });
    let cell = byId(A, 'roster-cell', `[data-role="${role.id}"][data-date="${date}"]`);
    if (!(await cell.isExisting())) {
      await byId(A, 'roster-prev').click();
      cell = byId(A, 'roster-cell', `[data-role="${role.id}"][data-date="${date}"]`);
    }
    await cell.waitForDisplayed({ timeout: 15_000 });
    await A.waitUntil(async () => (await cell.getAttribute('data-gap')) === 'yes', {
      timeout: 15_000,
      timeoutMsg: 'the uncovered role was not highlighted',
    });
    await shot(A, 'r01-roster-gap');

    // Assign: the cell's «+», the preset, staff search «ива», pick ivanova → a draft.
    await cell.$('[data-testid="roster-add"]').click();
    await byId(A, `roster-preset-${preset}`).click();
    await byId(A, 'roster-search').setValue('ива');
    const pick = byId(A, 'roster-pick', '[data-login="ivanova"]');
    await pick.waitForDisplayed({ timeout: 15_000 });
    await pick.click();
    const draft = cell.$('[data-testid="roster-shift"][data-state="draft"]');
    await draft.waitForDisplayed({ timeout: 15_000 });
    assert.match(await draft.getText(), /Иванова Е\. С\./);
    assert.match(await draft.getText(), preset === 'night' ? /20:00–08:00/ : /08:00–20:00/);
    assert.match(await text(A, 'roster-publish'), /Опубликовать \(1 черновик\)/);
    await shot(A, 'r02-roster-draft');

    // Publish: the shift is published and the gap over that day is gone.
    await byId(A, 'roster-publish').click();
    const published = cell.$('[data-testid="roster-shift"][data-state="published"]');
    await published.waitForDisplayed({ timeout: 15_000 });
    assert.match(await text(A, 'roster-status'), /Опубликована 1 смена/);
    await shot(A, 'r03-roster-published');

    // The month view shows the same published shift.
    await byId(A, 'roster-span').click();
    let monthCell = byId(A, 'roster-cell', `[data-role="${role.id}"][data-date="${date}"]`);
    if (!(await monthCell.isExisting())) {
      await byId(A, 'roster-prev').click();
      monthCell = byId(A, 'roster-cell', `[data-role="${role.id}"][data-date="${date}"]`);
    }
    await monthCell
      .$('[data-testid="roster-shift"][data-state="published"]')
      .waitForDisplayed({ timeout: 15_000 });
    assert.ok((await A.$$('>>>[data-testid="roster-cell"]').length) >= 28 * 2);
    await monthCell.scrollIntoView();
    await shot(A, 'r03b-roster-month');

    // The hub agrees: ivanova is on call for the role now.
    const onCall = await api<{ people: { id: string }[]; source: string }>(
      url,
      `/api/v1/oncall?roleId=${role.id}`,
      admin.token,
    );
    assert.deepEqual(
      onCall.people.map((p) => p.id),
      [ivanova.id],
    );

    // A signs out and signs in as a clinician (volkov, surgery): «Кто дежурит сейчас»,
    // without the roster editor.
    await switchUser(A, url, 'volkov');
    await byId(A, 'nav-duty').click();
    await byId(A, 'oncall-filter').waitForDisplayed({ timeout: 15_000 });
    assert.equal(await byId(A, 'duty-roster').isExisting(), false);
    await byId(A, 'oncall-filter').setValue('палаты');
    const row = byId(A, 'oncall-role', `[data-role="${role.id}"]`);
    await row.waitForDisplayed({ timeout: 15_000 });
    const person = row.$(`[data-testid="oncall-person"][data-user="${ivanova.id}"]`);
    await person.waitForDisplayed({ timeout: 15_000 });
    assert.match(await person.getText(), /Иванова Елена Сергеевна.*до (08|20):00/);
    await shot(A, 'r04-oncall-panel');

    // A writes to the role.
    await row.$('[data-testid="oncall-write"]').click();
    await A.waitUntil(
      async () => (await text(A, 'conversation-title')).includes('Дежурный врач кардиологии'),
      { timeout: 15_000, timeoutMsg: 'the role conversation did not open' },
    );
    await byId(A, 'composer-text').setValue('Нужна консультация в палате 7');
    await byId(A, 'composer-send').click();
    const resolved = byId(A, 'message-resolved');
    await resolved.waitForDisplayed({ timeout: 15_000 });
    assert.match(
      await resolved.getText(),
      preset === 'night'
        ? /доставлено: Иванова Е\. С\., дежурит до 08:00/
        : /доставлено: Иванова Е\. С\., дежурит до 20:00/,
    );
    await shot(A, 'r05-role-message-sent');

    // B (ivanova) receives it.
    await byId(B, 'nav-conversations').click();
    const item = byId(B, 'conversation-item');
    await item.waitForDisplayed({ timeout: 20_000 });
    await item.click();
    const received = byId(B, 'message-text');
    await received.waitForDisplayed({ timeout: 15_000 });
    assert.equal(await received.getText(), 'Нужна консультация в палате 7');
    await shot(B, 'r06-role-message-received');

    // The dynamic team of the role: everyone on shift in it now (ivanova) gets the group.
    await byId(A, 'nav-duty').click();
    await byId(A, 'oncall-filter').setValue('палаты');
    const teamRow = byId(A, 'team', `[data-team="${team.id}"]`);
    await teamRow.waitForDisplayed({ timeout: 15_000 });
    await teamRow.$('[data-testid="team-write"]').click();
    await A.waitUntil(
      async () => (await text(A, 'conversation-title')).includes('Бригада кардиологии'),
      { timeout: 15_000, timeoutMsg: 'the team conversation did not open' },
    );
    await byId(A, 'composer-text').setValue('Сбор у палаты 7');
    await byId(A, 'composer-send').click();
    await byId(B, 'nav-conversations').click();
    await B.waitUntil(
      async () => {
        for (const el of await B.$$('>>>[data-testid="conversation-item"]').getElements())
          if ((await el.getText()).includes('Бригада кардиологии')) return true;
        return false;
      },
      { timeout: 20_000, timeoutMsg: 'the team conversation did not reach the person on shift' },
    );

    // The reserve role has a gap: the panel says the fallback answers, and a message to it
    // goes to ivanova with the fallback noted.
    await byId(A, 'nav-duty').click();
    await byId(A, 'oncall-filter').setValue('палаты');
    const reserveRow = byId(A, 'oncall-role', `[data-role="${reserve.id}"]`);
    await reserveRow.waitForDisplayed({ timeout: 15_000 });
    await reserveRow
      .$(`[data-testid="oncall-person"][data-user="${ivanova.id}"]`)
      .waitForDisplayed({ timeout: 15_000 });
    assert.match(
      await reserveRow.$('[data-testid="oncall-fallback"]').getText(),
      /Роль не закрыта — отвечает «Дежурный врач кардиологии \(палаты\)»/,
    );
    await shot(A, 'r07-oncall-fallback');
    await reserveRow.$('[data-testid="oncall-write"]').click();
    await A.waitUntil(
      async () => (await text(A, 'conversation-title')).includes('Резервный врач'),
      {
        timeout: 15_000,
        timeoutMsg: 'the reserve role conversation did not open',
      },
    );
    await byId(A, 'composer-text').setValue('Кто сегодня в резерве?');
    await byId(A, 'composer-send').click();
    const viaFallback = byId(A, 'message-fallback');
    await viaFallback.waitForDisplayed({ timeout: 15_000 });
    assert.match(await viaFallback.getText(), /доставлено замещающему/);
    assert.match(await text(A, 'message-resolved'), /доставлено: Иванова Е\. С\./);
    await shot(A, 'r08-role-message-fallback');

    // The clinician looks ivanova up: available, on call for the role.
    await byId(A, 'nav-search').click();
    await byId(A, 'search-input').setValue('ива');
    const found = byId(A, 'search-result', '[data-login="ivanova"]');
    await found.waitForDisplayed({ timeout: 15_000 });
    const presence = found.$('[data-testid="search-presence"]');
    await presence.waitForDisplayed({ timeout: 15_000 });
    assert.equal(await presence.getAttribute('data-status'), 'available');

    // Presence: ivanova, on duty, goes into surgery; the hub wants a delegate first.
    await byId(B, 'nav-duty').click();
    await byId(B, 'presence-status').selectByAttribute('value', 'dnd');
    await byId(B, 'presence-save').click();
    assert.match(await text(B, 'presence-error'), /Вы на дежурстве: укажите, кто отвечает за вас/);
    await byId(B, 'presence-delegate').setValue('пет');
    const delegate = byId(B, 'presence-delegate-pick', '[data-login="petrov"]');
    await delegate.waitForDisplayed({ timeout: 15_000 });
    await delegate.click();
    await byId(B, 'presence-save').click();
    await B.waitUntil(
      async () => (await byId(B, 'presence-current').getAttribute('data-status')) === 'dnd',
      { timeout: 15_000, timeoutMsg: 'the status was not set' },
    );
    await shot(B, 'r09-presence-in-surgery');

    // The clinician's search result changes by itself (pushed), with her current duty.
    await A.waitUntil(async () => (await presence.getAttribute('data-status')) === 'dnd', {
      timeout: 15_000,
      timeoutMsg: 'the presence change was not pushed to the watcher',
    });
    assert.match(await presence.getText(), /На операции.*Дежурит: Дежурный врач кардиологии/s);
    await shot(A, 'r10-search-presence');

    // Her profile card: the status with its end and delegate, the current duty, and
    // a way to message the role; Escape closes it and gives the focus back.
    await found.$('[data-testid="search-profile"]').click();
    const card = byId(A, 'profile', '[data-login="ivanova"]');
    await card.waitForDisplayed({ timeout: 15_000 });
    assert.equal(await byId(A, 'profile-presence').getAttribute('data-status'), 'dnd');
    assert.match(await text(A, 'profile-until'), /до \d\d:\d\d/);
    await A.waitUntil(async () => /Замещает: Петров/.test(await text(A, 'profile-delegate')), {
      timeout: 15_000,
      timeoutMsg: 'the delegate is not named on the profile',
    });
    const duty = byId(A, 'profile-duty', `[data-role="${role.id}"]`);
    assert.match(await duty.getText(), /Дежурный врач кардиологии \(палаты\).*до \d\d:\d\d/s);
    assert.ok(await duty.$('[data-testid="profile-message-role"]').isExisting());
    await shot(A, 'r10b-profile');
    await A.keys('Escape');
    await card.waitForDisplayed({ timeout: 5_000, reverse: true });
  });

  it('a swap request is accepted by the colleague and approved by a coordinator; a coordinator assigns an emergency take-over from now', async () => {
    const { A, B, url } = session.ready();
    const admin = { token: await adminToken(url) };
    const units = await api<{ items: Unit[] }>(url, '/api/v1/directory/units', admin.token);
    const ward = findUnit(units.items, 'card-ward')!;
    // A role whose swaps need a coordinator's approval, with a shift tomorrow for
    // ivanova and one the day after for petrov.
    const role = await api<{ id: string }>(url, '/api/v1/rosters/roles', admin.token, {
      name: 'Дежурный врач (обмены)',
      unitId: ward.id,
      swapApproval: true,
    });
    const who = (login: string, q: string) => demoUser(url, admin.token, q, login);
    const ivanova = await who('ivanova', 'Иванова');
    const petrov = await who('petrov', 'Петров');
    const volkov = await who('volkov', 'Волков');
    const hour = 3600_000;
    const base = Math.ceil(Date.now() / hour) * hour;
    const mine = await api<{ id: string }>(url, '/api/v1/rosters/shifts', admin.token, {
      roleId: role.id,
      userId: ivanova.id,
      start: new Date(base + 24 * hour).toISOString(),
      end: new Date(base + 36 * hour).toISOString(),
    });
    const theirs = await api<{ id: string }>(url, '/api/v1/rosters/shifts', admin.token, {
      roleId: role.id,
      userId: petrov.id,
      start: new Date(base + 48 * hour).toISOString(),
      end: new Date(base + 60 * hour).toISOString(),
    });

    // B (ivanova) offers her shift to petrov in exchange for his.
    await byId(B, 'nav-conversations').click();
    await byId(B, 'nav-duty').click();
    const myShift = byId(B, 'my-shift', `[data-shift="${mine.id}"]`);
    await myShift.waitForDisplayed({ timeout: 20_000 });
    await myShift.$('[data-testid="swap-offer"]').click();
    await byId(B, 'swap-kind-swap').click();
    await byId(B, 'swap-search').setValue('пет');
    const pickPetrov = byId(B, 'swap-pick', '[data-login="petrov"]');
    await pickPetrov.waitForDisplayed({ timeout: 15_000 });
    await pickPetrov.click();
    await byId(B, 'swap-counter').waitForDisplayed({ timeout: 15_000 });
    // Petrov has demo shifts too: choose the one made above.
    await byId(B, 'swap-counter').selectByAttribute('value', theirs.id);
    assert.equal(await byId(B, 'swap-counter').getValue(), theirs.id);
    await byId(B, 'swap-send').click();
    assert.match(await text(B, 'swaps-status'), /Запрос отправлен: Петров/);
    const open = await api<{ items: { id: string; state: string; shiftId: string }[] }>(
      url,
      '/api/v1/rosters/swaps',
      admin.token,
    );
    const swap = open.items.find((x) => x.shiftId === mine.id);
    assert.ok(swap);
    assert.equal(swap.state, 'requested');
    await shot(B, 'r11-swap-requested');

    // A signs in as petrov, who accepts; the request then waits for a coordinator.
    await switchUser(A, url, 'petrov');
    await byId(A, 'nav-duty').click();
    const asked = byId(A, 'swap-request', `[data-swap="${swap.id}"]`);
    await asked.waitForDisplayed({ timeout: 20_000 });
    await asked.$('[data-testid="swap-accept"]').click();
    await A.waitUntil(async () => (await asked.getAttribute('data-state')) === 'accepted', {
      timeout: 15_000,
      timeoutMsg: 'the swap was not accepted',
    });
    assert.match(await asked.getText(), /ждёт утверждения координатора/);
    assert.equal(await asked.$('[data-testid="swap-approve"]').isExisting(), false);
    await shot(A, 'r12-swap-accepted');

    // A signs in as the coordinator (ivanov), who approves it.
    await switchUser(A, url, 'ivanov');
    await byId(A, 'nav-duty').click();
    const pending = byId(A, 'swap-request', `[data-swap="${swap.id}"]`);
    await pending.waitForDisplayed({ timeout: 20_000 });
    await pending.$('[data-testid="swap-approve"]').click();
    await A.waitUntil(async () => /выполнен/.test(await text(A, 'swaps-status')), {
      timeout: 15_000,
      timeoutMsg: 'the approval was not confirmed',
    });
    await shot(A, 'r13-swap-approved');
    // Over REST: the shifts changed hands.
    const after = async (id: string) =>
      api<{ userId: string; swapId: string | null }>(
        url,
        `/api/v1/rosters/shifts/${id}`,
        admin.token,
      );
    assert.equal((await after(mine.id)).userId, petrov.id);
    assert.equal((await after(mine.id)).swapId, swap.id);
    assert.equal((await after(theirs.id)).userId, ivanova.id);
    // B sees the request done and petrov's former shift among hers.
    await B.waitUntil(
      async () =>
        (await byId(B, 'swap-request', `[data-swap="${swap.id}"]`).getAttribute('data-state')) ===
        'applied',
      { timeout: 20_000, timeoutMsg: 'B did not see the swap applied' },
    );
    await byId(B, 'my-shift', `[data-shift="${theirs.id}"]`).waitForDisplayed({ timeout: 15_000 });

    // Emergency take-over: nobody covers the role now; the coordinator gives it to volkov from now.
    await byId(A, 'duty-roster').click();
    const row = byId(A, 'roster-row', `[data-role="${role.id}"]`);
    await row.waitForDisplayed({ timeout: 20_000 });
    // The demo has many roles: bring the row (and then the form) into view first.
    const takeover = row.$('[data-testid="roster-takeover"]');
    await takeover.scrollIntoView();
    await takeover.click();
    const form = byId(A, 'roster-assign', '[data-mode="takeover"]');
    await form.waitForDisplayed({ timeout: 15_000 });
    await form.scrollIntoView();
    await byId(A, 'roster-search').setValue('вол');
    const pickVolkov = byId(A, 'roster-pick', '[data-login="volkov"]');
    await pickVolkov.waitForDisplayed({ timeout: 15_000 });
    await pickVolkov.scrollIntoView();
    await pickVolkov.click();
    await A.waitUntil(
      async () =>
        /Роль «Дежурный врач \(обмены\)» с этого момента у Волков/.test(
          await byId(A, 'roster-status').getText(),
        ),
      { timeout: 15_000, timeoutMsg: 'the take-over was not confirmed' },
    );
    await byId(A, 'roster-status').scrollIntoView();
    await shot(A, 'r14-takeover');
    const onCall = await api<{ people: { id: string; via: string }[]; source: string }>(
      url,
      `/api/v1/oncall?roleId=${role.id}`,
      admin.token,
    );
    assert.deepEqual(
      onCall.people.map((p) => [p.id, p.via]),
      [[volkov.id, 'takeover']],
    );
    assert.equal(onCall.source, 'takeover');
    // The on-call panel says the same.
    await byId(A, 'duty-oncall').click();
    await byId(A, 'oncall-filter').setValue('обмены');
    const panel = byId(A, 'oncall-role', `[data-role="${role.id}"]`);
    await panel
      .$(`[data-testid="oncall-person"][data-user="${volkov.id}"]`)
      .waitForDisplayed({ timeout: 15_000 });
    await shot(A, 'r15-takeover-oncall');

    // A recurring pattern: «сутки через трое» for petrov from the first day shown, its
    // second day skipped as an exception → one draft in the week.
    await byId(A, 'duty-roster').click();
    await byId(A, 'roster-row', `[data-role="${role.id}"]`).waitForDisplayed({ timeout: 20_000 });
    await byId(A, 'pattern-open').click();
    await byId(A, 'pattern-form').waitForDisplayed({ timeout: 15_000 });
    await byId(A, 'pattern-role').selectByAttribute('value', role.id);
    await byId(A, 'pattern-kind-cycle').click();
    const anchor = await byId(A, 'pattern-anchor').getValue();
    const skipped = new Date(Date.parse(`${anchor}T12:00:00Z`) + 4 * 86400_000)
      .toISOString()
      .slice(0, 10);
    await byId(A, 'pattern-skip').setValue(skipped);
    await byId(A, 'roster-search').setValue('пет');
    const pickForPattern = byId(A, 'roster-pick', '[data-login="petrov"]');
    await pickForPattern.waitForDisplayed({ timeout: 15_000 });
    await pickForPattern.scrollIntoView();
    await pickForPattern.click();
    await byId(A, 'pattern-person').waitForDisplayed({ timeout: 15_000 });
    await byId(A, 'pattern-apply').scrollIntoView();
    await byId(A, 'pattern-apply').click();
    await A.waitUntil(
      async () => /По шаблону создан 1 черновик/.test(await byId(A, 'roster-status').getText()),
      { timeout: 15_000, timeoutMsg: 'the pattern was not expanded' },
    );
    await shot(A, 'r16-pattern-drafts');
    const weekShifts = await api<{
      items: {
        userId: string;
        start: string;
        end: string;
        state: string;
        patternId: string | null;
      }[];
    }>(
      url,
      `/api/v1/rosters/shifts?roleId=${role.id}&from=${encodeURIComponent(new Date(Date.parse(`${anchor}T00:00:00Z`) - 86400_000).toISOString())}&to=${encodeURIComponent(new Date(Date.parse(`${anchor}T00:00:00Z`) + 8 * 86400_000).toISOString())}`,
      admin.token,
    );
    const fromPattern = weekShifts.items.filter((x) => x.patternId !== null);
    assert.equal(fromPattern.length, 1, JSON.stringify(weekShifts.items));
    assert.deepEqual([fromPattern[0]!.userId, fromPattern[0]!.state], [petrov.id, 'draft']);
    assert.equal(Date.parse(fromPattern[0]!.end) - Date.parse(fromPattern[0]!.start), 24 * hour);

    // The role's calendar link: the feed answers iCalendar until the link is revoked.
    await byId(A, 'roster-row', `[data-role="${role.id}"]`)
      .$('[data-testid="roster-calendar"]')
      .click();
    const link = byId(A, 'roster-calendar-link');
    await link.waitForDisplayed({ timeout: 15_000 });
    const feedUrl = await link.getValue();
    assert.match(feedUrl, new RegExp(`/api/v1/rosters/roles/${role.id}/calendar\\.ics\\?token=`));
    const feed = await fetch(feedUrl);
    assert.equal(feed.status, 200);
    assert.match(feed.headers.get('content-type') ?? '', /text\/calendar/);
    assert.match(await feed.text(), /BEGIN:VCALENDAR/);
    await shot(A, 'r17-role-calendar');
    await byId(A, 'roster-calendar-revoke').click();
    await A.waitUntil(
      async () => /Ссылка отозвана/.test(await byId(A, 'roster-status').getText()),
      {
        timeout: 15_000,
        timeoutMsg: 'the link was not revoked',
      },
    );
    assert.ok((await fetch(feedUrl)).status >= 400, 'a revoked link no longer answers');

    // A two-way swap on the people's behalf: petrov's shift (from the swap above) goes
    // back to ivanova in exchange for hers, at once.
    const editorRow = byId(A, 'roster-row', `[data-role="${role.id}"]`);
    const chipOf = (userId: string) =>
      editorRow.$(
        `[data-testid="roster-shift"][data-user="${userId}"][data-state="published"] [data-testid="roster-swap"]`,
      );
    if (!(await chipOf(petrov.id).isExisting())) {
      await byId(A, 'roster-next').click();
      await chipOf(petrov.id).waitForExist({ timeout: 15_000 });
    }
    await chipOf(petrov.id).scrollIntoView();
    await chipOf(petrov.id).click();
    const swapForm = byId(A, 'roster-assign', '[data-mode="swap"]');
    await swapForm.waitForDisplayed({ timeout: 15_000 });
    await byId(A, 'roster-search').setValue('ива');
    const pickIvanova = byId(A, 'roster-pick', '[data-login="ivanova"]');
    await pickIvanova.waitForDisplayed({ timeout: 15_000 });
    await pickIvanova.scrollIntoView();
    await pickIvanova.click();
    await byId(A, 'roster-swap-counter').waitForDisplayed({ timeout: 15_000 });
    await byId(A, 'roster-swap-counter').selectByAttribute('value', theirs.id);
    await byId(A, 'roster-swap-apply').scrollIntoView();
    await byId(A, 'roster-swap-apply').click();
    await A.waitUntil(async () => /Смены обменены/.test(await byId(A, 'roster-status').getText()), {
      timeout: 15_000,
      timeoutMsg: 'the swap on behalf was not confirmed',
    });
    await shot(A, 'r18-swap-on-behalf');
    assert.equal((await after(mine.id)).userId, ivanova.id);
    assert.equal((await after(theirs.id)).userId, petrov.id);

    // Ivanova's personal calendar link, issued and revoked by the coordinator.
    const ivanovaChip = editorRow.$(
      `[data-testid="roster-shift"][data-user="${ivanova.id}"] [data-testid="roster-person-calendar"]`,
    );
    await ivanovaChip.waitForExist({ timeout: 15_000 });
    await ivanovaChip.scrollIntoView();
    await ivanovaChip.click();
    const box = byId(A, 'roster-calendar-box', '[data-subject="person"]');
    await box.waitForDisplayed({ timeout: 15_000 });
    assert.equal(await byId(A, 'roster-calendar-state').getAttribute('data-active'), 'no');
    await byId(A, 'roster-calendar-issue').click();
    const personLink = byId(A, 'roster-calendar-link');
    await personLink.waitForDisplayed({ timeout: 15_000 });
    const personUrl = await personLink.getValue();
    assert.match(
      personUrl,
      new RegExp(`/api/v1/rosters/people/${ivanova.id}/calendar\\.ics\\?token=`),
    );
    const personFeed = await fetch(personUrl);
    assert.equal(personFeed.status, 200);
    assert.match(await personFeed.text(), /BEGIN:VCALENDAR/);
    await shot(A, 'r19-person-calendar');
    await byId(A, 'roster-calendar-revoke').click();
    await A.waitUntil(
      async () => /Ссылка отозвана/.test(await byId(A, 'roster-status').getText()),
      { timeout: 15_000, timeoutMsg: 'the person link was not revoked' },
    );
    assert.ok((await fetch(personUrl)).status >= 400, 'a revoked person link no longer answers');
  });
});
