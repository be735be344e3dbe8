/**
 * End-to-end: the web client served by a real hub (demo hospital), driven in
 * two headless Chromium browsers as two staff members with WebdriverIO.
 * Needs Debian `chromium` and `chromium-driver`; without them the spec is
 * skipped loudly, unless KONSILIUM_TEST_REQUIRE_BROWSER=1 (CI), where it fails.
 * Screenshots of each main screen go to artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, byId, PASSWORD, shot, signIn, text, twoBrowserSpec } from './support.js';

/** A 16×8 PNG (red and white stripes) as the image attachment. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAICAYAAADwdn+XAAAAKUlEQVR4AaXBAQ0AMBADIT6Zf8s3EYWLDJ6yuMjgKYuLDJ6yuMjgKYsPJkoQBbUecM4AAAAASUVORK5CYII=';
const PATIENT = {
  system: 'urn:oid:1.2.643.5.1.13.13.12.2.77.7973',
  value: 'MRN-4711',
  display: 'Петров П. П., 64 г., палата 12',
};

describe('web client end to end (two browsers, real hub, demo hospital)', function () {
  this.timeout(180_000);
  let png = '';

  const session = twoBrowserSpec({
    spec: 'browser',
    prefix: 'konsilium-e2e-',
    // A docked sidebar: 460 px of page width (headless windows have a larger minimum).
    viewports: [
      { width: 460, height: 860 },
      { width: 460, height: 860 },
    ],
    prepare: (dataDir) => {
      png = join(dataDir, 'ecg.png');
      writeFileSync(png, Buffer.from(PNG_BASE64, 'base64'));
    },
  });

  it('A writes urgently to B, B reads and answers «Принял», A sees both; patient context binds a new conversation; English after switching', async () => {
    const { A, B, url } = session.ready();

    // Sign-in, in Russian by default.
    await A.url(url);
    assert.equal(await text(A, 'signin-submit'), 'Войти');
    await shot(A, '01-sign-in');
    // B signs in with the keyboard only: type, Tab, type, Enter.
    await B.url(url);
    await byId(B, 'signin-login').waitForDisplayed({ timeout: 20_000 });
    await byId(B, 'signin-login').click();
    await B.keys('ivanova');
    await B.keys(['Tab']);
    await B.keys(PASSWORD);
    await B.keys(['Enter']);
    await signIn(A, url, 'morozov');
    await byId(B, 'nav-conversations').waitForDisplayed({ timeout: 20_000 });
    assert.equal(await text(A, 'nav-conversations'), 'Беседы');
    await shot(A, '02-conversation-list-empty');

    // A finds B by typing «ива» and starts a direct conversation.
    await byId(A, 'nav-search').click();
    await byId(A, 'search-input').setValue('ива');
    const result = byId(A, 'search-result', '[data-login="ivanova"]');
    await result.waitForDisplayed({ timeout: 15_000 });
    assert.match(await text(A, 'search-status'), /Найден/);
    await shot(A, '03-staff-search');
    await result.$('[data-testid="search-write"]').click();
    await byId(A, 'conversation-title').waitForDisplayed({ timeout: 15_000 });
    assert.match(await text(A, 'conversation-title'), /Иванова/);

    // A sends an urgent message.
    await byId(A, 'composer-priority').selectByAttribute('value', 'urgent');
    await byId(A, 'composer-text').setValue('Прошу срочно посмотреть ЭКГ пациента в 12 палате');
    await byId(A, 'composer-send').click();
    const sent = byId(A, 'message', '[data-priority="urgent"]');
    await sent.waitForDisplayed({ timeout: 15_000 });
    await A.waitUntil(
      async () => (await byId(A, 'receipt').getText()).includes('прочитано 0 из 1'),
      { timeout: 15_000, timeoutMsg: 'A never saw «прочитано 0 из 1»' },
    );

    // B sees the conversation marked urgent with one unread; the inbox puts it first.
    const item = byId(B, 'conversation-item');
    await item.waitForDisplayed({ timeout: 15_000 });
    assert.match((await text(B, 'priority-marker')).toLowerCase(), /срочно/);
    assert.equal(await text(B, 'unread-badge'), '1');
    assert.equal(await B.getTitle(), '(1) Консилиум');
    await shot(B, '04-conversation-list-urgent');
    await byId(B, 'nav-inbox').click();
    const inboxItem = byId(B, 'inbox-item', '[data-reason="unreadUrgent"]');
    await inboxItem.waitForDisplayed({ timeout: 15_000 });
    assert.match(await inboxItem.getText(), /Непрочитанное срочное/);
    await shot(B, '05-inbox');

    // B opens and reads it: A sees it read.
    await inboxItem.click();
    const received = byId(B, 'message', '[data-priority="urgent"]');
    await received.waitForDisplayed({ timeout: 15_000 });
    assert.match(await received.getText(), /Прошу срочно посмотреть ЭКГ/);
    assert.match((await text(B, 'message-priority')).toLowerCase(), /срочно/);
    await A.waitUntil(async () => (await byId(A, 'receipt').getAttribute('data-read')) === '1', {
      timeout: 15_000,
      timeoutMsg: 'A never saw the message read',
    });
    assert.match(await text(A, 'receipt'), /прочитано/);

    // B answers «Принял»: A sees the acknowledgement.
    assert.equal(await text(B, 'ack-accepted'), 'Принял');
    await shot(B, '06-conversation-ack-buttons');
    await byId(B, 'ack-accepted').click();
    const ack = byId(A, 'ack', '[data-response="accepted"]');
    await ack.waitForDisplayed({ timeout: 15_000 });
    assert.match(await ack.getText(), /Принял/);
    await shot(A, '07-conversation-acknowledged');

    // An image attachment: A attaches a PNG, B sees its preview.
    await byId(A, 'composer-file-input').addValue(png);
    await byId(A, 'composer-file').waitForDisplayed({ timeout: 15_000 });
    await A.waitUntil(
      async () => !(await byId(A, 'composer-file').getText()).includes('Загрузка'),
      {
        timeout: 15_000,
        timeoutMsg: 'the upload did not finish',
      },
    );
    await byId(A, 'composer-text').setValue('Снимок ЭКГ');
    await byId(A, 'composer-send').click();
    const preview = byId(B, 'attachment-image');
    await preview.waitForDisplayed({ timeout: 15_000 });
    assert.equal(await preview.getAttribute('alt'), 'ecg.png');
    assert.ok(
      await B.execute('return arguments[0].naturalWidth;', await preview.getElement()),
      'the preview image loaded',
    );
    await shot(B, '07b-attachment-preview');

    // B replies to the urgent message; A sees the quote.
    await byId(B, 'message', '[data-priority="urgent"]').$('[data-testid="msg-reply"]').click();
    await byId(B, 'composer-text').setValue('Иду, буду через 5 минут');
    await byId(B, 'composer-send').click();
    await A.waitUntil(async () => (await A.$$('>>>[data-testid="message"]').length) === 3, {
      timeout: 15_000,
      timeoutMsg: 'A never got the reply',
    });
    const reply = A.$$('>>>[data-testid="message"]')[2]!;
    assert.match(await reply.getText(), /В ответ на[\s\S]*Прошу срочно посмотреть/);

    // A recalls the image message; B sees it recalled.
    const image = A.$$('>>>[data-testid="message"]')[1]!;
    await image.$('[data-testid="msg-recall"]').click();
    await image.$('[data-testid="msg-recall-confirm"]').click();
    await byId(B, 'message-recalled').waitForDisplayed({ timeout: 15_000 });
    assert.match(await text(B, 'message-recalled'), /Сообщение отозвано/);
    assert.equal(await B.$$('>>>[data-testid="attachment-image"]').length, 0);

    // An order: B's inbox lists it until B answers «Перезвоню через 10 мин».
    await byId(A, 'composer-order').click();
    assert.equal(await byId(A, 'composer-order').getAttribute('aria-pressed'), 'true');
    await byId(A, 'composer-text').setValue('Взять кровь на тропонин');
    await byId(A, 'composer-send').click();
    const order = byId(B, 'message', '[data-kind="order"]');
    await order.waitForDisplayed({ timeout: 15_000 });
    await byId(B, 'nav-inbox').click();
    const orderItem = byId(B, 'inbox-item', '[data-reason="unackedOrder"]');
    await orderItem.waitForDisplayed({ timeout: 15_000 });
    assert.match(await orderItem.getText(), /Поручение без ответа/);
    await orderItem.click();
    const orderAgain = byId(B, 'message', '[data-kind="order"]');
    await orderAgain.waitForDisplayed({ timeout: 15_000 });
    await orderAgain.$('select').selectByAttribute('value', '10');
    await orderAgain.$('[data-testid="ack-call_back"]').click();
    const callBack = byId(A, 'ack', '[data-response="call_back"]');
    await callBack.waitForDisplayed({ timeout: 15_000 });
    assert.match(await callBack.getText(), /Перезвоню через 10 мин/);

    // The MIS opens a patient (URL hash): the banner shows it; «Написать о пациенте»
    // creates a conversation bound to that patient.
    const hash = `#patient?${new URLSearchParams(PATIENT).toString()}`;
    await A.execute('location.hash = arguments[0];', hash);
    await A.waitUntil(async () => (await text(A, 'patient-display')).includes('Петров П. П.'), {
      timeout: 15_000,
      timeoutMsg: 'the banner never showed the patient',
    });
    assert.match(await text(A, 'patient-banner'), /Бесед о пациенте пока нет/);
    await byId(A, 'patient-write').click();
    await byId(A, 'search-input').setValue('ива');
    const pick = byId(A, 'search-result', '[data-login="ivanova"]');
    await pick.waitForDisplayed({ timeout: 15_000 });
    await pick.$('[data-testid="search-pick"]').click();
    await byId(A, 'search-create-patient').click();
    await A.waitUntil(async () => (await text(A, 'conversation-title')).includes('Петров П. П.'), {
      timeout: 15_000,
      timeoutMsg: 'the patient conversation did not open',
    });
    const bannerConv = byId(A, 'patient-conversation');
    await bannerConv.waitForDisplayed({ timeout: 15_000 });
    await shot(A, '08-patient-banner');

    // Forward: A's urgent message goes into the patient conversation.
    await byId(A, 'nav-conversations').click();
    await byId(A, 'conversation-item').waitForDisplayed({ timeout: 15_000 });
    for (const el of await A.$$('>>>[data-testid="conversation-item"]').getElements()) {
      if (!(await el.getText()).includes('Петров П. П.')) {
        await el.click();
        break;
      }
    }
    await byId(A, 'message', '[data-priority="urgent"]').$('[data-testid="msg-forward"]').click();
    const target = byId(
      A,
      'forward-target',
      `[data-id="${await bannerConv.getAttribute('data-id')}"]`,
    );
    await target.waitForDisplayed({ timeout: 15_000 });
    await target.click();
    await A.waitUntil(async () => (await text(A, 'conversation-title')).includes('Петров П. П.'), {
      timeout: 15_000,
      timeoutMsg: 'the forward did not open the target conversation',
    });
    const forwarded = byId(A, 'message');
    await forwarded.waitForDisplayed({ timeout: 15_000 });
    assert.match(await forwarded.getText(), /Переслано от[\s\S]*Прошу срочно посмотреть ЭКГ/);

    // The hub agrees: the new conversation is bound to the patient, with both members.
    const login = await api<{ token: string }>(url, '/api/v1/auth/login', null, {
      login: 'morozov',
      password: PASSWORD,
    });
    const convs = await api<{
      items: {
        id: string;
        patient: { system: string; value: string; label?: string } | null;
        members: { userId: string }[];
      }[];
    }>(url, '/api/v1/conversations', login.token);
    const bound = convs.items.filter((c) => c.patient?.value === PATIENT.value);
    assert.equal(bound.length, 1);
    assert.equal(bound[0]!.patient!.system, PATIENT.system);
    assert.equal(bound[0]!.patient!.label, PATIENT.display);
    assert.equal(bound[0]!.members.length, 2);
    assert.equal(await bannerConv.getAttribute('data-id'), bound[0]!.id);

    // B's MIS page sends the same patient by postMessage: B's banner lists that conversation.
    await B.execute(
      "window.postMessage({ type: 'konsilium.patient', patient: arguments[0] }, location.origin);",
      PATIENT,
    );
    const bConv = byId(B, 'patient-conversation');
    await bConv.waitForDisplayed({ timeout: 15_000 });
    assert.equal(await bConv.getAttribute('data-id'), bound[0]!.id);
    // A malformed frame: the banner says the context is lost / out of sync.
    await B.execute(
      "window.postMessage({ type: 'konsilium.patient', patient: { system: '', value: 42 } }, location.origin);",
    );
    await byId(B, 'patient-lost').waitForDisplayed({ timeout: 15_000 });
    assert.match(await text(B, 'patient-lost'), /Связь с МИС потеряна/);
    await shot(B, '09-patient-context-lost');

    // The conversation list shows the patient label of the bound conversation.
    await byId(A, 'nav-conversations').click();
    await byId(A, 'patient-label').waitForDisplayed({ timeout: 15_000 });
    assert.match(await text(A, 'patient-label'), /Петров П. П./);
    await shot(A, '10-conversation-list');

    // Settings: Russian by default, English after switching.
    await byId(A, 'nav-settings').click();
    await byId(A, 'settings-language').waitForDisplayed({ timeout: 15_000 });
    assert.equal(await text(A, 'nav-settings'), 'Настройки');
    await shot(A, '11-settings');
    await byId(A, 'settings-language').selectByAttribute('value', 'en');
    await A.waitUntil(async () => (await text(A, 'nav-settings')) === 'Settings', {
      timeout: 10_000,
      timeoutMsg: 'the UI did not switch to English',
    });
    assert.equal(await text(A, 'nav-conversations'), 'Conversations');
    assert.equal(await A.execute('return document.documentElement.lang;'), 'en');
    await shot(A, '12-settings-english');
    await byId(A, 'settings-theme-contrast').click();
    await shot(A, '12b-settings-high-contrast');
    await byId(A, 'nav-conversations').click();
    await byId(A, 'conversation-item').waitForDisplayed({ timeout: 15_000 });
    await byId(A, 'conversation-item').click();
    await byId(A, 'composer-send').waitForDisplayed({ timeout: 15_000 });
    assert.equal(await byId(A, 'composer-send').getAttribute('aria-label'), 'Send');
  });

  it('long histories: only the visible window is rendered, older pages load on scroll up, new messages keep it at the bottom', async () => {
    const { B, url } = session.ready();
    const login = await api<{ token: string }>(url, '/api/v1/auth/login', null, {
      login: 'morozov',
      password: PASSWORD,
    });
    const convs = await api<{ items: { id: string; kind: string; patient: unknown }[] }>(
      url,
      '/api/v1/conversations',
      login.token,
    );
    const direct = convs.items.find((c) => c.kind === 'direct')!;
    const send = (text: string) =>
      api(url, `/api/v1/conversations/${direct.id}/messages`, login.token, {
        id: randomUUID(),
        text,
      });
    for (let i = 0; i < 300; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, k) => send(`Сообщение номер ${i + k + 1}`)));
    }

    // A fresh page load: B's session survives the reload, the newest page is loaded.
    await B.refresh();
    await byId(B, 'nav-conversations').waitForDisplayed({ timeout: 20_000 });
    await byId(B, 'nav-conversations').click();
    const item = byId(B, 'conversation-item', `[data-id="${direct.id}"]`);
    await item.waitForDisplayed({ timeout: 15_000 });
    await item.click();
    const list = await byId(B, 'message-list').getElement();
    await list.waitForDisplayed({ timeout: 15_000 });
    await B.waitUntil(async () => Number(await list.getAttribute('data-count')) >= 40, {
      timeout: 15_000,
    });
    const count = Number(await list.getAttribute('data-count'));
    const rendered = Number(await list.getAttribute('data-rendered'));
    assert.ok(rendered < count, `rendered ${rendered} of ${count}`);
    assert.ok(count < 300, 'only the newest page is loaded at first');
    const atBottom = () =>
      B.execute(
        'const el = arguments[0]; return el.scrollHeight - el.scrollTop - el.clientHeight < 40;',
        list,
      );
    const metrics = async (): Promise<string> =>
      (await B.execute(
        'const el = arguments[0]; return [el.scrollHeight, el.scrollTop, el.clientHeight, el.dataset.count, el.dataset.rendered].join(" ");',
        list,
      )) as unknown as string;
    await B.waitUntil(atBottom, {
      timeout: 5_000,
      timeoutMsg: 'the conversation did not open at its newest message',
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${await metrics()}`);
    });

    // Scrolling up loads older pages; the DOM stays small.
    for (let i = 0; i < 3; i++) await B.execute('arguments[0].scrollTop = 0;', list);
    await B.waitUntil(async () => Number(await list.getAttribute('data-count')) > count, {
      timeout: 15_000,
      timeoutMsg: 'no older page was loaded on scroll up',
    });
    assert.ok(Number(await list.getAttribute('data-rendered')) < 40);
    assert.equal(await atBottom(), false);

    // At the bottom, a new message keeps the view at the bottom.
    await B.execute('arguments[0].scrollTop = arguments[0].scrollHeight;', list);
    await B.pause(300);
    const before = Number(await list.getAttribute('data-count'));
    await send('Новое сообщение внизу');
    await B.waitUntil(async () => Number(await list.getAttribute('data-count')) === before + 1, {
      timeout: 15_000,
    });
    await B.waitUntil(atBottom, {
      timeout: 5_000,
      timeoutMsg: 'a new message did not keep the list at the bottom',
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${await metrics()}`);
    });
    await shot(B, '13-long-history');

    // The narrowest docked width and a wide window: no horizontal scrolling.
    for (const [width, name] of [
      [360, '14-docked-360px'],
      [1280, '15-wide-window'],
    ] as const) {
      await B.setViewport({ width, height: 800 });
      await B.pause(300);
      const overflow = await B.execute(
        'return document.documentElement.scrollWidth - document.documentElement.clientWidth;',
      );
      assert.equal(overflow, 0, `no horizontal scrolling at ${width} px`);
      await shot(B, name);
    }
  });
});
