import assert from 'node:assert/strict';
import { enPlural, ruPlural, ruPluralForm } from '../../src/ui/i18n/plural.js';
import { en } from '../../src/ui/i18n/en.js';
import { ru } from '../../src/ui/i18n/ru.js';
import { formatSize, msg, registerCatalogue, setLocale } from '../../src/ui/i18n/translate.js';

describe('ui: Russian plural forms', () => {
  it('picks one / few / many by the CLDR rules', () => {
    const cases: [number, string][] = [
      [0, 'many'],
      [1, 'one'],
      [2, 'few'],
      [4, 'few'],
      [5, 'many'],
      [11, 'many'],
      [12, 'many'],
      [14, 'many'],
      [21, 'one'],
      [22, 'few'],
      [25, 'many'],
      [101, 'one'],
      [111, 'many'],
      [112, 'many'],
      [122, 'few'],
      [1001, 'one'],
      [1011, 'many'],
    ];
    for (const [n, form] of cases) assert.equal(ruPluralForm(n), form, String(n));
  });

  it('fills the chosen form', () => {
    const forms = ['сообщение', 'сообщения', 'сообщений'] as const;
    assert.equal(ruPlural(1, forms), 'сообщение');
    assert.equal(ruPlural(3, forms), 'сообщения');
    assert.equal(ruPlural(7, forms), 'сообщений');
    assert.equal(enPlural(1, ['message', 'messages']), 'message');
    assert.equal(enPlural(0, ['message', 'messages']), 'messages');
  });
});

describe('ui: message catalogues', () => {
  afterEach(() => setLocale('ru'));

  it('English has exactly the Russian keys, with the same parameters', () => {
    assert.deepEqual(Object.keys(en).sort(), Object.keys(ru).sort());
    const params = (v: unknown) =>
      [...new Set([...JSON.stringify(v).matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort().join(',');
    for (const key of Object.keys(ru) as (keyof typeof ru)[]) {
      assert.equal(params(en[key]), params(ru[key]), key);
    }
  });

  it('Russian by default, English after switching, plurals per language', () => {
    registerCatalogue(en);
    setLocale('ru');
    assert.equal(msg('nav.settings'), 'Настройки');
    assert.equal(msg('msg.readOf', { read: 5, total: 7 }), 'прочитано 5 из 7');
    assert.equal(msg('conv.members', { n: 2 }), '2 участника');
    assert.equal(msg('conv.members', { n: 5 }), '5 участников');
    assert.equal(msg('conv.members', { n: 21 }), '21 участник');
    assert.equal(msg('ack.call_back', { m: 15 }), 'Перезвоню через 15 мин');
    setLocale('en');
    assert.equal(msg('nav.settings'), 'Settings');
    assert.equal(msg('msg.readOf', { read: 5, total: 7 }), 'read by 5 of 7');
    assert.equal(msg('conv.members', { n: 1 }), '1 member');
    assert.equal(msg('conv.members', { n: 2 }), '2 members');
  });

  it('formats sizes with the decimal separator of the language', () => {
    setLocale('ru');
    assert.equal(formatSize(500), '1 КБ');
    assert.equal(formatSize(3.4 * 1024 * 1024), '3,4 МБ');
    setLocale('en');
    assert.equal(formatSize(3.4 * 1024 * 1024), '3.4 MB');
  });
});
