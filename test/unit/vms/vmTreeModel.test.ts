import * as assert from 'node:assert/strict';
import { compareDriverVersions, describeDriverState, guestDriverState, type GuestDriverRecord } from '../../../extension/vms/model/driverVersions';
import { displayText, escapeMarkdown, formatBytes, formatUptime } from '../../../extension/vms/model/formatting';
import { GPU_LOAD_HISTORY, GpuLoadHistory, loadBar, sparkline } from '../../../extension/vms/model/gpuLoad';
import type { GpuLoad } from '../../../extension/hyperv/inventory';
import { sharePercent, uniformPercent, uniformShare, valueForShare } from '../../../extension/vms/model/partitionShares';
import { childrenOf, hostNodes } from '../../../extension/vms/model/vmTreeChildren';
import type { HostSnapshot, VmTreeNode } from '../../../extension/vms/model/vmTreeNodes';
import { present, shareSummary, vmDescription, type PresentationContext } from '../../../extension/vms/model/vmTreePresentation';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../harness/paths';
import { adapter, ARC_PATH, gpu, hostGpu, inventory, RTX_PATH, vm } from './inventoryFixtures';

const GIB = 1024 ** 3;

function context(records: Record<string, GuestDriverRecord> = {}, snapshot?: HostSnapshot, history = new GpuLoadHistory()): PresentationContext {
  return {
    guestDriver: (_host, vmId) => records[vmId],
    hostDriver: () => snapshot?.inventory?.hostDriver ?? null,
    gpuLoadHistory: (hostKey, vmId) => history.of(hostKey, vmId),
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

  describe('host GPUs (Discrete Device Assignment)', () => {
    const assignedVm = vm({ name: 'Win11-Dda', id: '11111111-2222-4333-8444-555555555555', state: 'Off' });
    const gpus = [
      hostGpu(),
      hostGpu({ instanceId: 'PCI\\VEN_10DE&DEV_2684\\4&1', name: 'NVIDIA GeForce RTX 4090', locationPath: 'PCIROOT(0)#PCI(0100)#PCI(0000)', mode: 'partitionable' }),
      hostGpu({ instanceId: 'PCIP\\VEN_1002&DEV_73BF\\4&2', name: 'AMD Radeon Pro W6800', locationPath: 'PCIROOT(0)#PCI(0500)#PCI(0000)', mode: 'assigned', enabled: false, vmId: assignedVm.id.toUpperCase(), vmName: assignedVm.name }),
      hostGpu({ instanceId: 'PCIP\\VEN_8086&DEV_56A0\\4&3', name: null, locationPath: 'PCIROOT(0)#PCI(0700)#PCI(0000)', mode: 'dismounted', enabled: false }),
    ];
    const snapshot: HostSnapshot = { target: { key: 'local' }, inventory: inventory([assignedVm], undefined, gpus), loading: false };
    const host = hostNodes([snapshot])[0]!;
    const group = childrenOf(host).find((n) => n.kind === 'hostGpuGroup')!;
    const rows = childrenOf(group);

    it('lists the host GPUs in a group of their own, each saying its mode, and an assigned one under its VM', () => {
      assert.deepEqual(kinds(childrenOf(host)), ['gpuGroup', 'hostGpuGroup', 'vm']);
      assert.equal(present(group, context()).description, '4 · whole-GPU passthrough (DDA)');
      assert.deepEqual(
        rows.map((n) => [present(n, context()).label, present(n, context()).description]),
        [
          ['NVIDIA RTX A2000 12GB', 'on the host · can be assigned'],
          ['NVIDIA GeForce RTX 4090', 'partitioned with GPU-P'],
          ['AMD Radeon Pro W6800', 'assigned to Win11-Dda'],
          ['PCIP\\VEN_8086&DEV_56A0\\4&3', 'dismounted · no VM has it'],
        ],
      );
      const vmNode = childrenOf(host).find((n) => n.kind === 'vm')!;
      const assigned = childrenOf(vmNode).find((n) => n.kind === 'assignedGpu')!;
      assert.equal(present(assigned, context()).label, 'GPU (DDA) · AMD Radeon Pro W6800');
      assert.match(present(rows[3]!, context()).tooltip!, /an assignment left half done. Return it to the host/);
    });

    it('offers Assign on GPUs the host drives and Return on assigned and dismounted ones, as package.json menus match them', () => {
      const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
      const menusFor = (contextValue: string) =>
        manifest.contributes.menus['view/item/context']!
          .filter((m) => {
            const match = /viewItem =~ \/(.*)\/$/.exec(m.when ?? '');
            return match !== null && m.when!.includes('view == gpupv.vms') && new RegExp(match[1]!).test(contextValue);
          })
          .map((m) => m.command);
      const offered = (node: VmTreeNode) => [...new Set(menusFor(present(node, context()).contextValue))].filter((c) => c.endsWith('Gpu'));
      assert.deepEqual(offered(rows[0]!), ['gpupv.vms.assignGpu']);
      assert.deepEqual(offered(rows[1]!), ['gpupv.vms.assignGpu']);
      assert.deepEqual(offered(rows[2]!), ['gpupv.vms.returnGpu']);
      assert.deepEqual(offered(rows[3]!), ['gpupv.vms.returnGpu']);
      const vmNode = childrenOf(host).find((n) => n.kind === 'vm')!;
      assert.deepEqual(offered(childrenOf(vmNode).find((n) => n.kind === 'assignedGpu')!), ['gpupv.vms.returnGpu']);
      assert.deepEqual(offered(vmNode), []);
    });
  });

  describe('GPU load (the noisy neighbour)', () => {
    const load = (engines: Record<string, number | null>, dedicatedBytes = 3 * GIB, sampled = true): GpuLoad => ({
      sampled,
      engines: Object.entries(engines).map(([type, percent]) => ({ type, percent })),
      dedicatedBytes,
      sharedBytes: 256 * 1024 ** 2,
    });
    const busy = vm({ id: 'busy', name: 'Win11-Render', state: 'Running', gpuPartitions: [adapter(50, RTX_PATH)], gpuLoad: load({ '3D': 88.4, Copy: 6, VideoDecode: 0, VideoEncode: 0 }) });
    const quiet = vm({ id: 'quiet', name: 'Win11-Quiet', state: 'Running', gpuPartitions: [adapter(25, RTX_PATH)], gpuLoad: load({ '3D': 4, Copy: 1, VideoEncode: 35 }, GIB) });
    const other = vm({ id: 'other', name: 'Win11-Arc', state: 'Running', gpuPartitions: [adapter(25, ARC_PATH)], gpuLoad: load({ '3D': 50 }) });
    const snapshot = snapshotOf([busy, quiet, other], [gpu(RTX_PATH), gpu(ARC_PATH)]);
    const host = hostNodes([snapshot])[0]!;
    const gpuRow = (path: string) => childrenOf(childrenOf(host).find((n) => n.kind === 'gpuGroup')!).find((n) => n.kind === 'gpu' && n.gpu.instancePath === path)!;
    const vmRow = (id: string) => childrenOf(host).find((n) => n.kind === 'vm' && n.vm.id === id)!;

    it('puts the busiest engine in a running VM’s description, and measuring until a second sample', () => {
      assert.match(vmDescription(busy), / · GPU 88% 3D$/);
      assert.match(vmDescription(quiet), / · GPU 35% Video encode$/);
      assert.match(vmDescription({ ...busy, gpuLoad: load({ '3D': null }, GIB, false) }), / · GPU …$/);
      assert.match(vmDescription({ ...busy, gpuLoad: load({}, 0) }), / · GPU 0%$/, 'measured, and no engine used');
      assert.doesNotMatch(vmDescription({ ...busy, state: 'Paused' }), /GPU/);
      assert.doesNotMatch(vmDescription(vm()), /GPU/);
    });

    it('lists every engine type with a bar, the memory and a sparkline of the last refreshes in the tooltip', () => {
      const history = new GpuLoadHistory();
      for (const percent of [10, 40, 88.4]) history.record('local', [{ ...busy, gpuLoad: load({ '3D': percent }) }]);
      const tooltip = present(vmRow('busy'), context({}, snapshot, history)).tooltip!;
      assert.match(tooltip, /`████████▉░` 3D 88%/);
      assert.match(tooltip, /`▋░░░░░░░░░` Copy 6%/);
      assert.match(tooltip, /Video decode 0%/);
      assert.doesNotMatch(tooltip, /Compute/, 'an idle engine type beyond the four is left out');
      const computing = present({ ...vmRow('busy'), vm: { ...busy, gpuLoad: load({ '3D': 1, Compute_0: 70 }) } } as VmTreeNode, context()).tooltip!;
      assert.match(computing, /Compute 0 70%/);
      assert.match(tooltip, /GPU memory: dedicated 3 GB, shared 256 MB/);
      assert.match(tooltip, /last 3 refreshes: `▁▄█`/);
      const unsampled = present(vmRow('busy'), context()).tooltip!;
      assert.doesNotMatch(unsampled, /refreshes:/, 'one point is no line');
      assert.match(present({ ...vmRow('busy'), vm: { ...busy, gpuLoad: load({}, GIB, false) } } as VmTreeNode, context()).tooltip!, /GPU load: measuring/);
    });

    it('sums the VMs on each GPU on its row, and names the noisy one first in its tooltip', () => {
      const rtx = present(gpuRow(RTX_PATH), context({}, snapshot));
      assert.match(rtx.description!, /VMs: 3D 92%, Video encode 35%$/);
      assert.match(rtx.tooltip!, /Win11\\-Render: GPU 88% 3D · 3 GB dedicated {2}\nWin11\\-Quiet: GPU 35% Video encode · 1 GB dedicated {2}\nAll 2 VMs: 3D 92%, Video encode 35% · 4 GB dedicated, 512 MB shared/);
      assert.match(present(gpuRow(ARC_PATH), context({}, snapshot)).description!, /VMs: 3D 50%$/);
      // Two VMs at 60% of one engine cannot use more than all of it.
      const full = snapshotOf([{ ...busy, gpuLoad: load({ '3D': 60 }) }, { ...quiet, gpuLoad: load({ '3D': 60 }) }], [gpu(RTX_PATH)]);
      const fullRow = childrenOf(childrenOf(hostNodes([full])[0]!).find((n) => n.kind === 'gpuGroup')!)[0]!;
      assert.match(present(fullRow, context({}, full)).description!, /VMs: 3D 100%/);
    });

    it('keeps a bounded history per VM and forgets VMs that stopped', () => {
      const history = new GpuLoadHistory();
      for (let i = 0; i < GPU_LOAD_HISTORY + 5; i++) history.record('local', [busy, quiet]);
      assert.equal(history.of('local', 'busy').length, GPU_LOAD_HISTORY);
      history.record('local', [busy, { ...quiet, gpuLoad: undefined, state: 'Off' }]);
      assert.equal(history.of('local', 'quiet').length, 0);
      history.record('remote-1', []);
      assert.equal(history.of('local', 'busy').length, GPU_LOAD_HISTORY, 'another host’s refresh leaves this one alone');
    });

    it('draws bars and sparklines on a fixed 0–100 scale, clamping what the counters overshoot', () => {
      assert.equal(loadBar(0), '░░░░░░░░░░');
      assert.equal(loadBar(100), '██████████');
      assert.equal(loadBar(150), '██████████');
      assert.equal(loadBar(55), '█████▌░░░░');
      assert.equal(sparkline([0, 12.5, 50, 99, 100, -3]), '▁▂▅██▁');
    });
  });
});
