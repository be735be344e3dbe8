import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../src/common/settings.js';
import { ConfigStore, SettingsError } from '../../src/main/config/config-store.js';
import { resolveSettings, type SettingsProblem } from '../../src/main/config/layers.js';
import { parseRegQuery } from '../../src/main/config/registry.js';

const REG_OUTPUT = [
  '',
  'HKEY_LOCAL_MACHINE\\Software\\Policies\\Konsilium',
  '    hubUrl    REG_SZ    https://konsilium.gkb1.local/',
  '    dockWidth    REG_DWORD    0x1a4',
  '    notifications.showPatientData    REG_DWORD    0x0',
  '    misWindowPattern    REG_SZ    ^qMS .* - Карта пациента',
  '    externalLinks.allow    REG_MULTI_SZ    https://wiki.gkb1.local\\0https://lab.gkb1.local',
  '    context.loopback.secret    REG_SZ    ',
  '    (Default)    REG_SZ    ignored',
  '',
  'HKEY_LOCAL_MACHINE\\Software\\Policies\\Konsilium\\Sub',
  '',
].join('\r\n');

describe('desktop settings: registry policy parser', () => {
  it('reads text, DWORD and multi-string values and skips the default value and subkeys', () => {
    assert.deepEqual(parseRegQuery(REG_OUTPUT), {
      hubUrl: 'https://konsilium.gkb1.local/',
      dockWidth: 420,
      'notifications.showPatientData': 0,
      misWindowPattern: '^qMS .* - Карта пациента',
      'externalLinks.allow': ['https://wiki.gkb1.local', 'https://lab.gkb1.local'],
      'context.loopback.secret': '',
    });
  });

  it('ignores garbage lines, unknown types and malformed DWORDs', () => {
    const out = parseRegQuery(
      'ERROR: something\n    a    REG_BINARY    00ff\n    b    REG_DWORD    zz\n\tc\tREG_SZ\tx\n',
    );
    assert.deepEqual(out, {});
  });
});

describe('desktop settings: precedence defaults < machine policy < user', () => {
  it('takes defaults when no layer sets a key', () => {
    const r = resolveSettings({});
    assert.deepEqual(r.values, DEFAULT_SETTINGS);
    assert.deepEqual(r.locked, []);
    assert.deepEqual(r.problems, []);
  });

  it('user overrides defaults; policy overrides both and locks its keys', () => {
    const r = resolveSettings({
      policy: { hubUrl: 'https://hub.gkb1.local/', dockMode: 'left' },
      user: {
        hubUrl: 'http://evil.example/',
        dockMode: 'floating',
        dockWidth: 460,
        language: 'en',
      },
    });
    assert.equal(r.values.hubUrl, 'https://hub.gkb1.local/');
    assert.equal(r.values.dockMode, 'left');
    assert.equal(r.values.dockWidth, 460);
    assert.equal(r.values.language, 'en');
    assert.deepEqual(r.locked.sort(), ['dockMode', 'hubUrl']);
    assert.deepEqual(r.problems, []);
  });

  it('coerces registry DWORDs and text to booleans and numbers', () => {
    const r = resolveSettings({
      policy: {
        'notifications.showPatientData': 1,
        dockWidth: '380',
        'context.loopback.enabled': 'true',
        'externalLinks.allow': parseRegQuery(REG_OUTPUT)['externalLinks.allow'],
      },
    });
    assert.equal(r.values['externalLinks.allow'], 'https://wiki.gkb1.local https://lab.gkb1.local');
    assert.equal(r.values['notifications.showPatientData'], true);
    assert.equal(r.values.dockWidth, 380);
    assert.equal(r.values['context.loopback.enabled'], true);
  });

  it('reports a bad value with its layer and key, ignores it and keeps the lower layer', () => {
    const r = resolveSettings({
      policy: { hubUrl: 'ftp://hub', dockWidth: 99999, misWindowPattern: '([unclosed' },
      user: { dockMode: 'sideways', hubUrl: 'https://user.gkb1.local/', nonsense: 1 },
    });
    assert.equal(r.values.hubUrl, 'https://user.gkb1.local/');
    assert.equal(r.values.dockWidth, DEFAULT_SETTINGS.dockWidth);
    assert.equal(r.values.misWindowPattern, '');
    assert.equal(r.values.dockMode, 'right');
    assert.deepEqual(r.locked, [], 'a rejected policy value locks nothing');
    const keys = r.problems.map((p) => `${p.layer}:${p.key}`).sort();
    assert.deepEqual(keys, [
      'policy:dockWidth',
      'policy:hubUrl',
      'policy:misWindowPattern',
      'user:dockMode',
      'user:nonsense',
    ]);
    for (const p of r.problems) assert.ok(!p.error.includes('ftp://hub'), 'values are not echoed');
  });

  it('refuses URLs with credentials and external-link entries that are not bare origins', () => {
    const r = resolveSettings({
      user: { hubUrl: 'https://u:p@hub.local/', 'externalLinks.allow': 'https://ok.local/path' },
    });
    assert.equal(r.values.hubUrl, DEFAULT_SETTINGS.hubUrl);
    assert.equal(r.values['externalLinks.allow'], '');
    assert.equal(r.problems.length, 2);
  });
});

describe('desktop settings: ConfigStore on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ks-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the machine file and the user file, and writes user changes', async () => {
    const machine = join(dir, 'desktop.json');
    await writeFile(machine, JSON.stringify({ hubUrl: 'https://hub.gkb1.local/' }));
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ dockMode: 'floating' }));
    const store = new ConfigStore({ userDir: dir, machineFile: machine, platform: 'linux' });
    const r = await store.load();
    assert.equal(r.values.hubUrl, 'https://hub.gkb1.local/');
    assert.equal(r.values.dockMode, 'floating');
    assert.deepEqual(r.locked, ['hubUrl']);

    const seen: string[] = [];
    store.subscribe((s) => seen.push(s.values.language));
    await store.set('language', 'en');
    assert.deepEqual(seen, ['en']);
    const onDisk = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')) as object;
    assert.deepEqual(onDisk, { dockMode: 'floating', language: 'en' });
    const again = await new ConfigStore({
      userDir: dir,
      machineFile: machine,
      platform: 'linux',
    }).load();
    assert.equal(again.values.language, 'en');
  });

  it('refuses to change a locked key or store a bad value, and writes nothing', async () => {
    const store = new ConfigStore({
      userDir: dir,
      readPolicy: async () => ({ hubUrl: 'https://hub.gkb1.local/' }),
    });
    await store.load();
    await assert.rejects(store.set('hubUrl', 'https://other.local/'), (e: SettingsError) => {
      assert.equal(e.code, 'settings.locked');
      assert.equal(e.key, 'hubUrl');
      return true;
    });
    await assert.rejects(store.set('dockWidth', 5), { code: 'settings.invalid' });
    await assert.rejects(store.set('__proto__', 1), { code: 'settings.unknown_key' });
    await assert.rejects(readFile(join(dir, 'settings.json')), { code: 'ENOENT' });
    assert.equal(store.current.values.hubUrl, 'https://hub.gkb1.local/');
  });

  it('survives a corrupt user file, a non-object machine file and a failing policy reader', async () => {
    await writeFile(join(dir, 'settings.json'), '{ not json');
    const problems: SettingsProblem[] = [];
    const store = new ConfigStore({
      userDir: dir,
      readPolicy: async () => {
        throw new Error('reg.exe missing');
      },
      onProblem: (p) => problems.push(p),
    });
    const r = await store.load();
    assert.deepEqual(r.values, DEFAULT_SETTINGS);
    assert.deepEqual(
      problems.map((p) => p.layer),
      ['policy', 'user'],
    );

    const machine = join(dir, 'machine.json');
    await writeFile(machine, '[1,2]');
    await rm(join(dir, 'settings.json'));
    const problems2: SettingsProblem[] = [];
    await new ConfigStore({
      userDir: dir,
      machineFile: machine,
      platform: 'linux',
      onProblem: (p) => problems2.push(p),
    }).load();
    assert.equal(problems2.length, 1);
    assert.match(problems2[0]!.error, /not a JSON object/);
  });

  it('treats a missing machine file as an empty policy', async () => {
    const r = await new ConfigStore({
      userDir: dir,
      machineFile: join(dir, 'absent.json'),
      platform: 'linux',
    }).load();
    assert.deepEqual(r.locked, []);
    assert.deepEqual(r.problems, []);
  });
});
