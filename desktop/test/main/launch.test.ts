import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../src/common/settings.js';
import { contextArgs, contextSettings, protocolClientArgs } from '../../src/main/launch.js';
import { badgeLabel, trayBitmap, trayTooltip } from '../../src/main/tray-icon.js';

describe('desktop launch: protocol registration and context settings', () => {
  it('a packaged app registers itself; a development run registers electron with its app path', () => {
    assert.deepEqual(
      protocolClientArgs(
        false,
        'C:\\Konsilium\\Konsilium.exe',
        ['C:\\Konsilium\\Konsilium.exe'],
        (p) => p,
      ),
      ['konsilium'],
    );
    assert.deepEqual(
      protocolClientArgs(
        true,
        '/usr/bin/electron',
        ['/usr/bin/electron', 'desktop'],
        (p) => `/repo/${p}`,
      ),
      ['konsilium', '/usr/bin/electron', ['/repo/desktop']],
    );
  });

  it('forwards everything after the executable to the context service', () => {
    assert.deepEqual(
      contextArgs([
        'Konsilium.exe',
        '--allow-file-access-from-files',
        'konsilium://patient?system=a&value=1',
      ]),
      ['--allow-file-access-from-files', 'konsilium://patient?system=a&value=1'],
    );
  });

  it('turns adapters on only when configured completely', () => {
    assert.deepEqual(contextSettings(DEFAULT_SETTINGS), {});
    const s = {
      ...DEFAULT_SETTINGS,
      'fhircast.hubUrl': 'https://mis.gkb1.local/fhircast',
      'fhircast.topic': 'ws-17',
      'loopback.enabled': true,
      'loopback.secret': 'short',
    };
    assert.deepEqual(contextSettings(s), {
      fhircast: { hubUrl: 'https://mis.gkb1.local/fhircast', topic: 'ws-17' },
    });
    const full = {
      ...s,
      'fhircast.identifierSystem': 'urn:oid:1.2.3',
      'loopback.secret': 's'.repeat(24),
    };
    assert.deepEqual(contextSettings(full), {
      fhircast: {
        hubUrl: 'https://mis.gkb1.local/fhircast',
        topic: 'ws-17',
        identifierSystem: 'urn:oid:1.2.3',
      },
      loopback: { port: 47815, secret: 's'.repeat(24) },
    });
  });
});

describe('desktop tray: unread badge', () => {
  it('labels counts and caps them at 99+', () => {
    assert.deepEqual([0, -3, Number.NaN, 1, 99, 100].map(badgeLabel), [
      '',
      '',
      '',
      '1',
      '99',
      '99+',
    ]);
  });

  it('tooltips say what waits, in the UI language', () => {
    assert.equal(trayTooltip({ unread: 0, alerts: 0 }, 'ru'), 'Konsilium');
    assert.equal(
      trayTooltip({ unread: 120, alerts: 2 }, 'ru'),
      'Konsilium — непрочитанных: 99+ — ждут подтверждения: 2',
    );
    assert.equal(trayTooltip({ unread: 3, alerts: 0 }, 'en'), 'Konsilium — unread: 3');
  });

  it('draws a red dot only when something is unread', () => {
    const red = (b: Buffer) => {
      let n = 0;
      for (let i = 0; i < b.length; i += 4)
        if (b[i + 2]! > 0xc0 && b[i]! < 0x40 && b[i + 3] === 0xff) n++;
      return n;
    };
    assert.equal(trayBitmap(16, { unread: 0, alerts: 0 }).length, 16 * 16 * 4);
    assert.equal(red(trayBitmap(16, { unread: 0, alerts: 0 })), 0);
    assert.ok(red(trayBitmap(16, { unread: 5, alerts: 0 })) > 5);
  });
});
