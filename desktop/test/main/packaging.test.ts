import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DOCK_MODES,
  LANGUAGES,
  parseSetting,
  SETTING_KEYS,
  type SettingKey,
} from '../../src/common/settings.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const require = createRequire(import.meta.url);

interface AjvLike {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown[] | null };
  addMetaSchema(schema: object): void;
}
type AjvCtor = new (opts: object) => AjvLike;

async function json(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(ROOT, path), 'utf8')) as Record<string, unknown>;
}

let compiled: ReturnType<AjvLike['compile']> | null = null;
async function builderValidator() {
  if (!compiled) {
    const Ajv = require('ajv') as AjvCtor;
    compiled = new Ajv({ allErrors: true }).compile(
      await json('node_modules/app-builder-lib/scheme.json'),
    );
  }
  return compiled;
}

describe('desktop packaging: electron-builder configuration', () => {
  it("validates against electron-builder's own JSON schema", async () => {
    const validate = await builderValidator();
    const ok = validate(await json('build/electron-builder.json'));
    assert.equal(ok, true, JSON.stringify(validate.errors, null, 1));
  });

  it('the schema check is real: a wrong type or unknown option fails it', async () => {
    const validate = await builderValidator();
    const config = await json('build/electron-builder.json');
    const msi = config.msi as Record<string, unknown>;
    assert.equal(validate({ ...config, msi: { ...msi, perMachine: 'yes' } }), false);
    assert.equal(validate({ ...config, msiInstallScope: 'machine' }), false);
  });

  it('builds a per-machine MSI with a fixed upgrade code, NSIS, deb and AppImage, and the konsilium protocol', async () => {
    const config = await json('build/electron-builder.json');
    const msi = config.msi as { perMachine: boolean; upgradeCode: string };
    assert.equal(msi.perMachine, true);
    assert.match(
      msi.upgradeCode,
      /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/,
    );
    const targets = [
      ...((config.win as { target: { target: string }[] }).target.map((t) => t.target) ?? []),
      ...(config.linux as { target: string[] }).target,
    ];
    assert.deepEqual(targets.sort(), ['AppImage', 'deb', 'msi', 'nsis']);
    assert.deepEqual(config.protocols, [
      { name: 'Konsilium patient link', schemes: ['konsilium'] },
    ]);
    assert.equal(config.msiProjectCreated, 'build/msi/hub-url-policy.cjs');
    assert.equal((config.nsis as { perMachine: boolean }).perMachine, true);
  });
});

describe('desktop packaging: MSI property HUB_URL → machine policy', () => {
  const hook = require(join(ROOT, 'build', 'msi', 'hub-url-policy.cjs')) as ((
    file: string,
  ) => Promise<void>) & {
    injectHubUrlPolicy(wxs: string): string;
    COMPONENT_GUID: string;
  };

  it("adds the property and a conditional HKLM policy component to electron-builder's WiX template", async () => {
    const template = await readFile(
      join(ROOT, 'node_modules/app-builder-lib/templates/msi/template.xml'),
      'utf8',
    );
    const out = hook.injectHubUrlPolicy(template);
    assert.match(out, /<Property Id="HUB_URL" Secure="yes"\/>/);
    assert.match(
      out,
      /<RegistryValue Root="HKLM" Key="Software\\Policies\\Konsilium" Name="hubUrl" Type="string" Value="\[HUB_URL\]" KeyPath="yes"\/>/,
    );
    assert.match(out, /<Condition><!\[CDATA\[HUB_URL\]\]><\/Condition>/);
    assert.match(
      out,
      /<Feature Id="ProductFeature"[^>]*>\s*<ComponentGroupRef Id="ProductComponents"\/>\s*<ComponentRef Id="KonsiliumPolicyHubUrl"\/>/,
    );
    assert.ok(out.indexOf('KonsiliumPolicyHubUrl"/>') < out.indexOf('</Product>'));
    assert.equal(hook.injectHubUrlPolicy(out), out, 'idempotent');
    assert.match(hook.COMPONENT_GUID, /^[0-9A-F-]{36}$/);
  });

  it('rewrites the project file in place and refuses an unexpected layout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-msi-'));
    try {
      const file = join(dir, 'project.wxs');
      await writeFile(
        file,
        '<Wix><Product><Feature Id="ProductFeature"><ComponentGroupRef Id="ProductComponents"/></Feature></Product></Wix>',
      );
      await hook(file);
      assert.match(await readFile(file, 'utf8'), /HUB_URL/);
      await writeFile(file, '<Wix><Module/></Wix>');
      await assert.rejects(hook(file), /unexpected WiX project layout/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the NSIS installer takes /HUB_URL= and writes the same policy value', async () => {
    const nsh = await readFile(join(ROOT, 'build/nsis/hub-url.nsh'), 'utf8');
    assert.match(nsh, /\$\{GetOptions\} \$R0 "\/HUB_URL=" \$R1/);
    assert.match(nsh, /WriteRegStr HKLM "Software\\Policies\\Konsilium" "hubUrl" "\$R1"/);
  });
});

/** Checks that tags nest and close (the templates use no DOCTYPE or entities beyond the XML five). */
function assertWellFormed(xml: string, name: string): void {
  const body = xml.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '');
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, tag, , selfClosing] = m;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), tag, `${name}: </${tag}> closes the wrong element`);
    else stack.push(tag!);
  }
  assert.deepEqual(stack, [], `${name}: unclosed elements`);
  const stray = body.replace(/<[^>]*>/g, '').match(/[<>]|&(?!(amp|lt|gt|quot|apos);)/);
  assert.equal(stray, null, `${name}: stray markup in text`);
}

const ids = (xml: string, re: RegExp) => [...xml.matchAll(re)].map((m) => m[1]!);

describe('desktop packaging: Group Policy templates (ADMX/ADML)', () => {
  let admx: string;
  const adml: Record<string, string> = {};
  before(async () => {
    admx = await readFile(join(ROOT, 'build/policy/konsilium.admx'), 'utf8');
    for (const lang of ['en-US', 'ru-RU']) {
      adml[lang] = await readFile(join(ROOT, `build/policy/${lang}/konsilium.adml`), 'utf8');
    }
  });

  it('are well-formed XML', () => {
    assertWellFormed(admx, 'konsilium.admx');
    for (const [lang, text] of Object.entries(adml))
      assertWellFormed(text, `${lang}/konsilium.adml`);
  });

  it('have a machine policy under HKLM\\Software\\Policies\\Konsilium for every setting key, and only real keys', () => {
    const policies = [...admx.matchAll(/<policy [^>]*>[\s\S]*?<\/policy>/g)].map((m) => m[0]);
    for (const p of policies) {
      assert.match(p, /class="Machine"/);
      assert.match(p, /key="Software\\Policies\\Konsilium"/);
    }
    const valueNames = ids(admx, /valueName="([^"]+)"/g);
    assert.deepEqual(
      [...valueNames].sort(),
      [...SETTING_KEYS].sort(),
      'one policy value per setting key',
    );
  });

  it('offer exactly the allowed choices and ranges of each setting', () => {
    const items = (id: string) => {
      const block = new RegExp(`<enum id="${id}"[\\s\\S]*?</enum>`).exec(admx)?.[0] ?? '';
      return ids(block, /<string>([^<]+)<\/string>/g);
    };
    assert.deepEqual(items('DockMode_Value'), [...DOCK_MODES]);
    assert.deepEqual(items('Language_Value'), [...LANGUAGES]);
    for (const m of admx.matchAll(
      /<decimal id="\w+" valueName="([^"]+)" required="true" minValue="(\d+)" maxValue="(\d+)"\/>/g,
    )) {
      const key = m[1] as SettingKey;
      assert.ok(
        parseSetting(key, Number(m[2])).ok && parseSetting(key, Number(m[3])).ok,
        `${key} range`,
      );
      assert.ok(
        !parseSetting(key, Number(m[2]) - 1).ok && !parseSetting(key, Number(m[3]) + 1).ok,
        `${key} range`,
      );
    }
  });

  it('every string and presentation the ADMX references exists in English and Russian', () => {
    const strings = new Set(ids(admx, /\$\(string\.([\w.]+)\)/g));
    const presentations = new Set(ids(admx, /\$\(presentation\.([\w.]+)\)/g));
    const elementIds = new Set(ids(admx, /<(?:text|decimal|enum|boolean|list) id="([\w.]+)"/g));
    for (const [lang, text] of Object.entries(adml)) {
      const table = new Set(ids(text, /<string id="([\w.]+)">[^<]+<\/string>/g));
      for (const s of strings) assert.ok(table.has(s), `${lang}: string ${s}`);
      const pres = new Set(ids(text, /<presentation id="([\w.]+)">/g));
      for (const p of presentations) assert.ok(pres.has(p), `${lang}: presentation ${p}`);
      for (const ref of ids(text, /refId="([\w.]+)"/g))
        assert.ok(elementIds.has(ref), `${lang}: refId ${ref}`);
      assert.equal(
        ids(text, /refId="([\w.]+)"/g).length,
        elementIds.size,
        `${lang}: one control per element`,
      );
    }
    const en = ids(adml['en-US']!, /<string id="([\w.]+)">/g).sort();
    const ru = ids(adml['ru-RU']!, /<string id="([\w.]+)">/g).sort();
    assert.deepEqual(ru, en, 'both languages define the same strings');
    assert.match(adml['ru-RU']!, /Адрес сервера/);
  });
});
