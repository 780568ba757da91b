import * as assert from 'node:assert/strict';
import { compareDriverVersions, describeDriverState, guestDriverState, type GuestDriverRecord } from '../../../extension/vms/model/driverVersions';
import { displayText, escapeMarkdown, formatBytes, formatUptime } from '../../../extension/vms/model/formatting';
import { sharePercent, uniformPercent, uniformShare, valueForShare } from '../../../extension/vms/model/partitionShares';
import { childrenOf, hostNodes } from '../../../extension/vms/model/vmTreeChildren';
import type { HostSnapshot, VmTreeNode } from '../../../extension/vms/model/vmTreeNodes';
import { present, shareSummary, vmDescription, type PresentationContext } from '../../../extension/vms/model/vmTreePresentation';
import { adapter, ARC_PATH, gpu, inventory, RTX_PATH, vm } from './inventoryFixtures';

const GIB = 1024 ** 3;

function context(records: Record<string, GuestDriverRecord> = {}, snapshot?: HostSnapshot): PresentationContext {
  return {
    guestDriver: (_host, vmId) => records[vmId],
    hostDriver: () => snapshot?.inventory?.hostDriver ?? null,
  };
}

function snapshotOf(vms: ReturnType<typeof vm>[], gpus?: Parameters<typeof inventory>[1]): HostSnapshot {
  return { target: { key: 'local' }, inventory: inventory(vms, gpus), loading: false };
}

function kinds(nodes: VmTreeNode[]): string[] {
  return nodes.map((n) => n.kind);
}

describe('Virtual Machines tree model', () => {
  describe('formatting', () => {
    it('writes memory and uptime the way Hyper-V Manager users read them', () => {
      assert.equal(formatBytes(8 * GIB), '8 GB');
      assert.equal(formatBytes(512 * 1024 ** 2), '512 MB');
      assert.equal(formatBytes(1.5 * GIB), '1.5 GB');
      assert.equal(formatBytes(null), '—');
      assert.equal(formatUptime(7380), '2h 03m');
      assert.equal(formatUptime(200_000), '2d 7h');
      assert.equal(formatUptime(59), '59s');
      assert.equal(formatUptime(0), '0s');
    });

    it('shows hostile names on one line and escapes them inside Markdown', () => {
      assert.equal(displayText('VM\nGet-Process\r\nx\u0007'), 'VM⏎Get-Process⏎x\ufffd');
      const escaped = escapeMarkdown('[click](command:workbench.action.quit) <img src=x> **b** `c`');
      assert.doesNotMatch(escaped, /(?<!\\)[[\]()<>*`]/);
    });
  });

  describe('partition shares', () => {
    it('converts percentages to each resource’s scale exactly, encode on the full UInt64 range', () => {
      assert.equal(valueForShare(50, 'Vram'), 500_000_000);
      assert.equal(valueForShare(50, 'Encode'), '9223372036854775807');
      assert.equal(valueForShare(100, 'Encode'), '18446744073709551615');
      assert.equal(valueForShare(12.34, 'Compute'), 123_400_000);
      assert.equal(sharePercent('9223372036854775807', 'Encode'), 50);
      assert.equal(sharePercent(250_000_000, 'Decode'), 25);
      assert.equal(sharePercent(null, 'Vram'), undefined);
      assert.equal(sharePercent('not a number', 'Vram'), undefined);
    });

    it('recognises a uniform share and tells a mixed one apart', () => {
      assert.equal(uniformPercent(adapter(50, RTX_PATH)), 50);
      const mixed = { ...adapter(50, RTX_PATH), maxVram: 1_000_000_000 };
      assert.equal(uniformPercent(mixed), undefined);
      assert.equal(Object.keys(uniformShare(10)).length, 12);
      const capped = { ...adapter(50, RTX_PATH), minVram: 80_000_000, minDecode: 0, minEncode: '0' };
      assert.equal(shareSummary(capped), 'up to 50% of every resource');
      assert.match(shareSummary({ ...adapter(50, RTX_PATH), maxVram: 1_000_000_000 }), /^VRAM 50%–100% \(optimal 50%\) · Encode 50% · /);
    });
  });

  describe('driver versions', () => {
    const host = inventory([]).hostDriver;
    const record = (version: string | null, code43 = false): GuestDriverRecord => ({ version, package: 'nv', checkedAt: '2026-11-30T10:00:00Z', source: 'check', code43 });

    it('compares dotted versions numerically', () => {
      assert.equal(compareDriverVersions('32.0.15.6094', '32.0.15.5612'), 1);
      assert.equal(compareDriverVersions('32.0.15.612', '32.0.15.5612'), -1);
      assert.equal(compareDriverVersions('1.2', '1.2.0'), 0);
    });

    it('calls a guest copy older than the host’s stale, and says what to do', () => {
      const state = guestDriverState(host, record('32.0.15.5612'));
      assert.equal(state.kind, 'stale');
      assert.match(describeDriverState(state), /32\.0\.15\.5612 is older than the host driver 32\.0\.15\.6094.*Code 43.*Sync Host GPU Driver into Guest/);
      assert.match(describeDriverState(guestDriverState(host, record(null))), /no copy of the host driver/);
      assert.match(describeDriverState(guestDriverState(host, record('32.0.15.5612', true))), /reports Code 43/);
      assert.equal(guestDriverState(host, record('32.0.15.6094')).kind, 'current');
      assert.equal(guestDriverState(host, undefined).kind, 'unknown');
      assert.equal(guestDriverState(null, record('1.0')).kind, 'unknown');
    });
  });

  describe('rows', () => {
    it('describes a running VM as "Running · 12% CPU · 8 GB · 2h 03m" and an off one by its state', () => {
      assert.equal(vmDescription(vm({ state: 'Running', cpuUsage: 12, memoryAssigned: 8 * GIB, uptimeSeconds: 7380 })), 'Running · 12% CPU · 8 GB · 2h 03m');
      assert.equal(vmDescription(vm({ state: 'Off' })), 'Off');
      assert.equal(vmDescription(vm({ state: 'Paused', memoryAssigned: 4 * GIB, uptimeSeconds: 60 })), 'Paused · 4 GB · 1m');
    });

    it('gives each state its icon and colour, and menus a contextValue with state, GPU-P and GSI', () => {
      const snapshot = snapshotOf([]);
      const row = (v: ReturnType<typeof vm>) => present({ kind: 'vm', hostKey: 'local', vm: v, gpus: [] }, context({}, snapshot));
      assert.deepEqual(row(vm({ state: 'Running' })).icon, { id: 'vm-running', color: 'charts.green' });
      assert.deepEqual(row(vm({ state: 'Off' })).icon, { id: 'vm-outline' });
      assert.deepEqual(row(vm({ state: 'Paused' })).icon, { id: 'debug-pause', color: 'charts.yellow' });
      assert.deepEqual(row(vm({ state: 'Saved' })).icon, { id: 'save', color: 'charts.blue' });
      assert.equal(row(vm({ state: 'Starting' })).icon?.id, 'loading~spin');
      assert.equal(row(vm({ state: 'Running', gpuPartitions: [adapter(50, RTX_PATH)] })).contextValue, 'vm state:running gpup:yes gsi:off');
    });

    it('lists host -> Partitionable GPUs and VMs; VM -> partitions, checkpoints, integration services', () => {
      const holder = vm({ state: 'Running', gpuPartitions: [adapter(50, RTX_PATH)], checkpoints: [{ id: 'c1', name: 'base', parentId: null, created: '2026-11-01T08:00:00Z' }] });
      const [host] = hostNodes([snapshotOf([holder, vm()])]);
      const rows = childrenOf(host!);
      assert.deepEqual(kinds(rows), ['gpuGroup', 'vm', 'vm']);
      assert.deepEqual(kinds(childrenOf(rows[1]!)), ['partition', 'checkpointGroup', 'serviceGroup']);
      const [gpuRow] = childrenOf(rows[0]!);
      assert.equal(gpuRow?.kind, 'gpu');
      const shown = present(gpuRow, context());
      assert.equal(shown.label, 'NVIDIA GeForce RTX 4090');
      assert.equal(shown.description, '1/8 partitions in use · VRAM 75% free');
      assert.match(shown.tooltip!, /Held by: vm\\-\d+ \(50% of every resource\)/);
      assert.match(shown.tooltip!, /valid counts 32, 16, 8, 4, 2, 1/);
    });

    it('names the host GPU behind each partition by instance path, and the only GPU when none is named', () => {
      const two = [gpu(RTX_PATH, { friendlyName: 'RTX' }), gpu(ARC_PATH, { friendlyName: 'Arc' })];
      const onArc = vm({ gpuPartitions: [adapter(25, ARC_PATH.toLowerCase())] });
      const [partition] = childrenOf({ kind: 'vm', hostKey: 'local', vm: onArc, gpus: two });
      assert.equal(present(partition!, context()).label, 'GPU partition · Arc');
      assert.equal(present(partition!, context()).description, '25% of every resource');
      const [unnamed] = childrenOf({ kind: 'vm', hostKey: 'local', vm: vm({ gpuPartitions: [adapter(50, null)] }), gpus: [two[0]!] });
      assert.equal(present(unnamed!, context()).label, 'GPU partition · RTX');
      const resources = childrenOf(partition!).map((n) => present(n, context()));
      assert.deepEqual(resources.map((r) => `${r.label}: ${r.description}`), [
        'VRAM: min 25% · max 25% · optimal 25%',
        'Encode: min 25% · max 25% · optimal 25%',
        'Decode: min 25% · max 25% · optimal 25%',
        'Compute: min 25% · max 25% · optimal 25%',
      ]);
    });

    it('nests checkpoints as Hyper-V keeps them, orphans at the root', () => {
      const v = vm({
        checkpoints: [
          { id: 'a', name: 'base', parentId: null, created: null },
          { id: 'b', name: 'driver 1', parentId: 'a', created: null },
          { id: 'c', name: 'driver 2', parentId: 'a', created: null },
          { id: 'd', name: 'lost parent', parentId: 'zz', created: null },
        ],
      });
      const [group] = childrenOf({ kind: 'vm', hostKey: 'local', vm: v, gpus: [] }).filter((n) => n.kind === 'checkpointGroup');
      const roots = childrenOf(group!);
      assert.deepEqual(roots.map((n) => present(n, context()).label), ['base', 'lost parent']);
      assert.deepEqual(childrenOf(roots[0]!).map((n) => present(n, context()).label), ['driver 1', 'driver 2']);
    });

    it('flags Guest Service Interface when it is off, by its component id whatever the language', () => {
      const german = vm({ integrationServices: [{ id: 'Microsoft:X\\6C09BB55-D683-4DA0-8931-C9BF705F6480', name: 'Gastdienstschnittstelle', enabled: false, status: '' }] });
      const [group] = childrenOf({ kind: 'vm', hostKey: 'local', vm: german, gpus: [] });
      const shown = present(group!, context());
      assert.equal(shown.description, 'Guest Service Interface off');
      assert.match(shown.contextValue, /gsi:off/);
      const [service] = childrenOf(group!);
      assert.deepEqual(present(service!, context()).icon, { id: 'warning', color: 'list.warningForeground' });
      assert.match(present(service!, context()).tooltip!, /Copy-VMFile/);
    });

    it('warns on a VM whose guest driver copy is older than the host driver, and says why in its tooltip', () => {
      const stale = vm({ state: 'Running', gpuPartitions: [adapter(50, RTX_PATH)] });
      const snapshot = snapshotOf([stale]);
      const records = { [stale.id]: { version: '32.0.15.5612', package: 'nv', checkedAt: '2026-11-30T10:00:00Z', source: 'check' as const } };
      const shown = present({ kind: 'vm', hostKey: 'local', vm: stale, gpus: [] }, context(records, snapshot));
      assert.equal(shown.warning?.badge, '!');
      assert.match(shown.warning.tooltip, /older than the host driver 32\.0\.15\.6094/);
      assert.match(shown.tooltip!, /\$\(warning\) Guest driver copy 32\\\.0\\\.15\\\.5612 is older/);
      assert.match(shown.contextValue, /driver:stale/);
      const current = present({ kind: 'vm', hostKey: 'local', vm: stale, gpus: [] }, context({ [stale.id]: { ...records[stale.id]!, version: '32.0.15.6094' } }, snapshot));
      assert.equal(current.warning, undefined);
    });

    it('labels a simulated host so it cannot pass for a real one', () => {
      const snapshot: HostSnapshot = { ...snapshotOf([]), inventory: { ...inventory([]), host: { ...inventory([]).host, simulated: true } } };
      const shown = present(hostNodes([snapshot])[0]!, context());
      assert.equal(shown.label, 'GPU-WORKSTATION (simulated)');
      assert.match(shown.description!, /simulated host, not a real Hyper-V/);
    });

    it('puts a failed host’s error under it and keeps its last inventory', () => {
      const failed: HostSnapshot = { ...snapshotOf([vm()]), error: { code: 'HostUnreachable', message: 'Cannot reach the Hyper-V host on lab-02. Check it.' } };
      const rows = childrenOf(hostNodes([failed])[0]!);
      assert.deepEqual(kinds(rows), ['hostError', 'gpuGroup', 'vm']);
      assert.equal(present(rows[0]!, context()).label, 'Cannot reach the Hyper-V host on lab-02.');
      const never: HostSnapshot = { target: { key: 'remote:lab-03', computerName: 'lab-03' }, loading: false, error: failed.error };
      assert.deepEqual(kinds(childrenOf(hostNodes([never])[0]!)), ['hostError']);
    });

    it('escapes a hostile VM name in every tooltip', () => {
      const name = 'x](command:workbench.action.quit) <b>';
      const hostile = vm({ name, state: 'Running', gpuPartitions: [adapter(50, RTX_PATH)] });
      const snapshot = snapshotOf([hostile]);
      for (const node of [{ kind: 'vm', hostKey: 'local', vm: hostile, gpus: [] } as const, ...childrenOf({ kind: 'vm', hostKey: 'local', vm: hostile, gpus: [] })]) {
        const tooltip = present(node, context({}, snapshot)).tooltip ?? '';
        assert.ok(!tooltip.includes('](command:'), tooltip);
        assert.ok(!tooltip.includes('<b>'), tooltip);
      }
    });
  });
});
