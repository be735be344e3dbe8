import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, parseSetting } from '../../src/common/settings.js';
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
      'context.fhircast.hubUrl': 'https://mis.gkb1.local/fhircast',
      'context.fhircast.topic': 'ws-17',
      'context.loopback.enabled': true,
    };
    assert.deepEqual(contextSettings(s), {
      fhircast: { hubUrl: 'https://mis.gkb1.local/fhircast', topic: 'ws-17', leaseSeconds: 3600 },
    });
    const full = {
      ...s,
      'context.fhircast.identifierSystem': 'urn:oid:1.2.3',
      'context.fhircast.resourceIdSystem': 'urn:mis:patient-id',
      'context.loopback.secret': 's'.repeat(24),
      'context.defaultSystem': 'urn:oid:1.2.3',
    };
    assert.deepEqual(contextSettings(full), {
      fhircast: {
        hubUrl: 'https://mis.gkb1.local/fhircast',
        topic: 'ws-17',
        leaseSeconds: 3600,
        identifierSystem: 'urn:oid:1.2.3',
        resourceIdSystem: 'urn:mis:patient-id',
      },
      loopback: { port: 47815, secret: 's'.repeat(24) },
      defaultSystem: 'urn:oid:1.2.3',
    });
  });

  it('a loopback secret must be empty or at least 22 characters', () => {
    assert.equal(parseSetting('context.loopback.secret', 'short').ok, false);
    assert.equal(parseSetting('context.loopback.secret', '').ok, true);
    assert.equal(parseSetting('context.loopback.secret', 'x'.repeat(22)).ok, true);
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
