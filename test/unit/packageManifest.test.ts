import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Commands, ContextKeys, Settings, Views, WebviewTypes } from '../../extension/common/contributions';
import type { HyperVViewStatus } from '../../extension/vms/hostInventories';
import { repoRoot } from '../harness/paths';

interface Manifest {
  name: string;
  publisher: string;
  main: string;
  engines: { vscode: string };
  activationEvents?: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] } };
  contributes: {
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { id: string; name: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { type: string; default: unknown; scope?: string }> };
  };
}

const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
const contributedCommands = new Set(manifest.contributes.commands.map((c) => c.command));
/** Built-in commands our welcome content may link to. */
const BUILT_IN_COMMANDS = new Set(['workbench.trust.manage', 'workbench.action.openSettings', 'workbench.action.files.openFolder']);

describe('package.json contributions', () => {
  it('is the extension the issue names, for the oldest VS Code we test on', () => {
    assert.equal(`${manifest.publisher}.${manifest.name}`, 'gpupv.gpupv-devkit');
    assert.equal(manifest.engines.vscode, '^1.100.0');
    assert.equal(manifest.main, './dist/extension.js');
  });

  it('activates only through its own contributions, never at start-up', () => {
    for (const event of manifest.activationEvents ?? []) {
      assert.ok(!['*', 'onStartupFinished'].includes(event), `activation event ${event} starts it with every window`);
    }
  });

  it('declares limited support for untrusted workspaces', () => {
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  });

  it('matches the typed command ids one to one, each with a GPU-PV category', () => {
    assert.deepEqual([...contributedCommands].sort(), Object.values(Commands).sort());
    for (const command of manifest.contributes.commands) assert.equal(command.category, 'GPU-PV', command.command);
  });

  it('puts both views in the GPU-PV activity-bar container', () => {
    assert.deepEqual(manifest.contributes.viewsContainers.activitybar.map((c) => [c.id, c.title]), [[Views.container, 'GPU-PV']]);
    assert.deepEqual(
      manifest.contributes.views[Views.container]?.map((v) => [v.id, v.name]),
      [
        [Views.virtualMachines, 'Virtual Machines'],
        [Views.ringTraces, 'Ring Traces'],
      ],
    );
  });

  it('gives every view welcome content, and every welcome link names a real command', () => {
    for (const view of [Views.virtualMachines, Views.ringTraces]) {
      assert.ok(manifest.contributes.viewsWelcome.some((w) => w.view === view), `${view} has no welcome content`);
    }
    for (const { contents } of manifest.contributes.viewsWelcome) {
      for (const [, command] of contents.matchAll(/\(command:([\w.-]+)/g)) {
        assert.ok(contributedCommands.has(command!) || BUILT_IN_COMMANDS.has(command!), `welcome links to unknown ${command}`);
      }
    }
  });

  it('uses only context keys the extension sets in its when clauses', () => {
    const known = new Set<string>(Object.values(ContextKeys));
    const clauses = [
      ...manifest.contributes.viewsWelcome.map((w) => w.when ?? ''),
      ...Object.values(manifest.contributes.menus).flatMap((items) => items.map((i) => i.when ?? '')),
    ];
    for (const clause of clauses) {
      for (const [key] of clause.matchAll(/\bgpupv\.[\w.]+/g)) {
        // `view == gpupv.vms`, `activeCustomEditorId == gpupv.traceViewer`: ids compared with, not keys read.
        if ((Object.values(Views) as string[]).includes(key) || (Object.values(WebviewTypes) as string[]).includes(key)) continue;
        assert.ok(known.has(key), `when clause "${clause}" reads ${key}, which nothing sets`);
      }
    }
  });

  it('only puts contributed commands in menus', () => {
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items) assert.ok(contributedCommands.has(item.command), `${menu} names ${item.command}`);
    }
  });

  it('declares exactly the settings the extension reads, each with a default', () => {
    const declared = manifest.contributes.configuration.properties;
    assert.deepEqual(Object.keys(declared).sort(), Object.values(Settings).sort());
    for (const [key, setting] of Object.entries(declared)) assert.ok('default' in setting, `${key} has no default`);
  });

  it('ignores the executable and host settings of an untrusted workspace', () => {
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations?.sort(), [Settings.powershellPath, Settings.hypervHosts].sort());
  });

  it('has welcome content for every reason the Virtual Machines view can be empty', () => {
    const statuses: Exclude<HyperVViewStatus, 'ok' | 'untrusted'>[] = ['notWindows', 'noPowerShell', 'moduleMissing', 'notAdmin'];
    const vmWelcome = manifest.contributes.viewsWelcome.filter((w) => w.view === Views.virtualMachines);
    for (const status of statuses) {
      assert.equal(vmWelcome.filter((w) => w.when === `${ContextKeys.hypervStatus} == ${status}`).length, 1, status);
    }
    assert.ok(vmWelcome.some((w) => w.when === '!isWorkspaceTrusted'));
  });
});
