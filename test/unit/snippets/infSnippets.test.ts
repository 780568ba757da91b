import * as assert from 'node:assert/strict';
import { describeInfPackage, infEntry, infSection, parseInf } from '../../../extension/deploy/inf/infFile';
import { expanded, snippetFilesFor } from './snippetFiles';

// The INF snippets, each placeholder at its default, read by the INF reader Deploy and Test
// uses on a package: every section a directive names exists, every %string% resolves, every
// DIRID is one Windows defines, a service has the keys Setup needs, and what Windows would
// install on x64 is what a display driver needs.

describe('INF snippets pass the INF check', () => {
  const snippets = snippetFilesFor('inf').flatMap((f) => f.snippets);

  it('every snippet reads without a problem for amd64', () => {
    assert.ok(snippets.length > 0);
    for (const snippet of snippets) {
      const pkg = describeInfPackage(parseInf(expanded(snippet)), { architecture: 'amd64' });
      assert.deepEqual(pkg.problems, [], snippet.prefix);
    }
  });

  it('the display driver INF installs a WDDM driver the way Windows expects one', () => {
    const snippet = snippets.find((s) => s.prefix === 'inf-display-driver')!;
    const inf = parseInf(expanded(snippet));
    const pkg = describeInfPackage(inf, { architecture: 'amd64' });
    assert.equal(pkg.version.class, 'Display');
    assert.equal(pkg.version.classGuid, '{4d36e968-e325-11ce-bfc1-08002be10318}');
    assert.equal(pkg.version.catalogFile, 'pvgpu.cat');
    assert.equal(pkg.version.pnpLockdown, true);
    assert.deepEqual(pkg.hardwareIds, ['PCI\\VEN_1AF4&DEV_10F0']);
    const install = pkg.installs[0]!;
    assert.deepEqual(install.copyFiles.map((f) => [f.name, f.destination?.dirid, f.destination?.subdir]), [
      ['pvgpu.sys', 13, undefined],
      ['pvgpu_umd.dll', 13, undefined],
      ['pvgpu_umd32.dll', 13, 'wow64'],
    ]);
    assert.deepEqual(install.userModeDriverName?.values, ['%13%\\pvgpu_umd.dll']);
    assert.deepEqual(install.userModeDriverNameWow?.values, ['%13%\\wow64\\pvgpu_umd32.dll']);
    assert.deepEqual(install.installedDisplayDrivers?.values, ['pvgpu_umd']);
    assert.deepEqual(install.services.map((s) => [s.name, s.flags, s.serviceBinary]), [['pvgpu', 2, '%13%\\pvgpu.sys']]);
    assert.equal(infEntry(infSection(inf, 'pvgpu_Install'), 'FeatureScore')?.values[0], 'D1');
  });

  it('the check fails on what the snippet must not lose: a string, a section, a DIRID', () => {
    const text = expanded(snippets.find((s) => s.prefix === 'inf-display-driver')!);
    const problems = (edited: string) => describeInfPackage(parseInf(edited), { architecture: 'amd64' }).problems.map((p) => p.message);
    assert.match(problems(text.replace(/^DiskName .*$/m, '')).join('\n'), /%DiskName% is not defined in \[Strings\]/);
    assert.match(problems(text.replace('[pvgpu_Service]', '[pvgpu_Svc]')).join('\n'), /service-install section \[pvgpu_Service\] is not in the file/);
    assert.match(problems(text.replace('pvgpu.Files.Umd    = 13', 'pvgpu.Files.Umd    = 14')).join('\n'), /names DIRID 14, which Windows does not define/);
  });
});
