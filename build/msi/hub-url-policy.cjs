// electron-builder `msiProjectCreated` hook: adds the public MSI property
// HUB_URL to the generated WiX project. When it is given on the command line
// (`msiexec /i Konsilium.msi /qn HUB_URL=https://konsilium.hospital.local/`)
// a per-machine component writes it as machine policy:
//   HKLM\Software\Policies\Konsilium  hubUrl (REG_SZ)
// Without HUB_URL the component is not installed and nothing is written.
/* global require, module */
'use strict';
// electron-builder loads hooks with require(), so this file is CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readFile, writeFile } = require('node:fs/promises');

/** Fixed: the component must keep its GUID across versions for clean upgrades. */
const COMPONENT_GUID = '542540F2-2186-4BF7-B425-67B4C47F2914';
const MARKER = 'KonsiliumPolicyHubUrl';

/** Returns the WiX project text with the HUB_URL property and policy component added (idempotent). */
function injectHubUrlPolicy(wxs) {
  if (wxs.includes(MARKER)) return wxs;
  const featureRef = '<ComponentGroupRef Id="ProductComponents"/>';
  const productEnd = '</Product>';
  if (!wxs.includes(featureRef) || !wxs.includes(productEnd)) {
    throw new Error(
      'hub-url-policy: unexpected WiX project layout (ProductComponents/Product not found)',
    );
  }
  const fragment = [
    '    <Property Id="HUB_URL" Secure="yes"/>',
    '    <DirectoryRef Id="APPLICATIONFOLDER">',
    `      <Component Id="${MARKER}" Guid="{${COMPONENT_GUID}}" Win64="yes">`,
    '        <Condition><![CDATA[HUB_URL]]></Condition>',
    '        <RegistryValue Root="HKLM" Key="Software\\Policies\\Konsilium" Name="hubUrl" Type="string" Value="[HUB_URL]" KeyPath="yes"/>',
    '      </Component>',
    '    </DirectoryRef>',
    '  ',
  ].join('\n');
  return wxs
    .replace(featureRef, `${featureRef}\n      <ComponentRef Id="${MARKER}"/>`)
    .replace(productEnd, `${fragment}${productEnd}`);
}

module.exports = async function msiProjectCreated(projectFile) {
  const wxs = await readFile(projectFile, 'utf8');
  await writeFile(projectFile, injectHubUrlPolicy(wxs), 'utf8');
};
module.exports.injectHubUrlPolicy = injectHubUrlPolicy;
module.exports.COMPONENT_GUID = COMPONENT_GUID;
