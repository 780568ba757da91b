import { LOCAL_HOST_KEY } from '../../hyperv/hyperVHost';
import type { Checkpoint, GpuPartitionAdapter, HostDriver, HostGpu, PartitionableGpu, VirtualMachine } from '../../hyperv/inventory';
import { describeDriverState, guestDriverState, type DriverState, type GuestDriverRecord } from './driverVersions';
import { displayText, escapeMarkdown, formatBytes, formatUptime } from './formatting';
import { busiestEngine, gpuLoadLines, gpuLoadSummary, gpuLoadTotalSummary, sumGpuLoads, type GpuLoadTotal } from './gpuLoad';
import {
  describeResourceShare,
  formatPercent,
  PARTITION_BOUNDS,
  PARTITION_RESOURCES,
  RESOURCE_LABELS,
  sharePercent,
  uniformPercent,
  valueKey,
} from './partitionShares';
import { guestServiceInterface, isGuestServiceInterface } from './vmTreeChildren';
import type { GpuNode, HostNode, VmTreeNode } from './vmTreeNodes';

// How each row looks: label, description, Markdown tooltip, codicon and theme colour, and
// the contextValue menus match on. Pure data; vmTreeDataProvider.ts turns it into TreeItems.

export interface RowIcon {
  readonly id: string;
  /** A theme colour id (charts.green, list.warningForeground, ...). */
  readonly color?: string;
}

/** A warning drawn as a badge and a coloured label (a FileDecoration), with its reason. */
export interface RowWarning {
  readonly badge: string;
  readonly tooltip: string;
  readonly color: string;
}

export interface RowPresentation {
  readonly id: string;
  readonly label: string;
  readonly description?: string;
  /** Markdown; every user value in it is escaped. */
  readonly tooltip?: string;
  readonly icon?: RowIcon;
  readonly contextValue: string;
  readonly collapsible: 'none' | 'collapsed' | 'expanded';
  readonly warning?: RowWarning;
}

/** What presentation needs beyond the node: what the extension remembers about guests. */
export interface PresentationContext {
  guestDriver(hostKey: string, vmId: string): GuestDriverRecord | undefined;
  /** The display driver of a host (null when unknown, as for remote hosts). */
  hostDriver(hostKey: string): HostDriver | null;
  /** A VM's busiest GPU engine over the last refreshes, oldest first. */
  gpuLoadHistory(hostKey: string, vmId: string): readonly number[];
}

const WARNING_COLOR = 'list.warningForeground';
const ERROR_COLOR = 'list.errorForeground';

export function present(node: VmTreeNode, context: PresentationContext): RowPresentation {
  switch (node.kind) {
    case 'host':
      return presentHost(node);
    case 'hostError':
      return {
        id: `${node.hostKey}/error`,
        label: node.message.split(/(?<=\.)\s/)[0]!,
        tooltip: escapeMarkdown(node.message),
        icon: { id: 'error', color: ERROR_COLOR },
        contextValue: `hostError code:${node.code}`,
        collapsible: 'none',
      };
    case 'gpuGroup':
      return {
        id: `${node.hostKey}/gpus`,
        label: 'Partitionable GPUs',
        description: String(node.gpus.length),
        icon: { id: 'circuit-board' },
        contextValue: 'gpuGroup',
        collapsible: 'collapsed',
      };
    case 'gpu':
      return presentGpu(node);
    case 'gpuHolder':
      return {
        id: `${node.hostKey}/gpu-holder/${node.adapter.adapterId}`,
        label: displayText(node.vm.name),
        description: shareSummary(node.adapter),
        icon: vmIcon(node.vm.state),
        contextValue: `gpuHolder ${vmStateTokens(node.vm)}`,
        collapsible: 'none',
      };
    case 'hostGpuGroup':
      return {
        id: `${node.hostKey}/host-gpus`,
        label: 'Host GPUs',
        description: `${node.hostGpus.length} · whole-GPU passthrough (DDA)`,
        tooltip: 'The host\'s GPUs as Discrete Device Assignment sees them: each is driven by the host, partitioned with GPU-P, or given whole to one VM. A GPU cannot be partitioned and assigned at once.',
        icon: { id: 'server-process' },
        contextValue: 'hostGpuGroup',
        collapsible: 'collapsed',
      };
    case 'hostGpu':
      return presentHostGpu(node.hostKey, node.gpu);
    case 'assignedGpu':
      return {
        id: `${node.hostKey}/vm/${node.vm.id}/assigned/${node.gpu.locationPath}`,
        label: `GPU (DDA) · ${hostGpuName(node.gpu)}`,
        description: displayText(node.gpu.locationPath),
        tooltip: hostGpuTooltip(node.gpu),
        icon: { id: 'circuit-board', color: 'charts.blue' },
        contextValue: `assignedGpu ${vmStateTokens(node.vm)}`,
        collapsible: 'none',
      };
    case 'vm':
      return presentVm(node.hostKey, node.vm, context);
    case 'partition':
      return {
        id: `${node.hostKey}/vm/${node.vm.id}/partition/${node.adapter.adapterId}`,
        label: `GPU partition${node.gpu ? ` · ${gpuName(node.gpu)}` : ''}`,
        description: shareSummary(node.adapter),
        tooltip: partitionTooltip(node.vm, node.adapter, node.gpu),
        icon: { id: 'chip' },
        contextValue: `gpuPartition ${vmStateTokens(node.vm)}`,
        collapsible: 'collapsed',
      };
    case 'partitionResource':
      return {
        id: `${node.hostKey}/vm/${node.vm.id}/partition/${node.adapter.adapterId}/${node.resource}`,
        label: RESOURCE_LABELS[node.resource],
        description: PARTITION_BOUNDS.map(
          (bound) => `${bound} ${formatPercent(sharePercent(node.adapter[valueKey(bound, node.resource)], node.resource))}`,
        ).join(' · '),
        contextValue: 'partitionResource',
        collapsible: 'none',
      };
    case 'checkpointGroup':
      return {
        id: `${node.hostKey}/vm/${node.vm.id}/checkpoints`,
        label: 'Checkpoints',
        description: String(node.vm.checkpoints.length),
        icon: { id: 'history' },
        contextValue: `checkpointGroup ${vmStateTokens(node.vm)}`,
        collapsible: 'collapsed',
      };
    case 'checkpoint':
      return presentCheckpoint(node.hostKey, node.vm, node.checkpoint, node.children.length > 0);
    case 'serviceGroup': {
      const gsi = guestServiceInterface(node.vm);
      const gsiOff = gsi !== undefined && !gsi.enabled;
      return {
        id: `${node.hostKey}/vm/${node.vm.id}/services`,
        label: 'Integration Services',
        description: gsiOff ? 'Guest Service Interface off' : `${node.vm.integrationServices.filter((s) => s.enabled).length} of ${node.vm.integrationServices.length} on`,
        icon: gsiOff ? { id: 'warning', color: WARNING_COLOR } : { id: 'extensions' },
        contextValue: `serviceGroup ${vmStateTokens(node.vm)}${gsiOff ? ' gsi:off' : ''}`,
        collapsible: 'collapsed',
      };
    }
    case 'service': {
      const gsi = isGuestServiceInterface(node.service);
      const flagged = gsi && !node.service.enabled;
      return {
        id: `${node.hostKey}/vm/${node.vm.id}/service/${node.service.id ?? node.service.name}`,
        label: displayText(node.service.name),
        description: `${node.service.enabled ? 'on' : 'off'}${node.service.status && node.service.enabled ? ` · ${displayText(node.service.status)}` : ''}`,
        tooltip: flagged
          ? 'Off. Copying files into the guest (`Copy-VMFile`, the deploy step) needs it: right-click and choose **Enable Guest Service Interface**.'
          : undefined,
        icon: flagged ? { id: 'warning', color: WARNING_COLOR } : node.service.enabled ? { id: 'pass' } : { id: 'circle-slash' },
        contextValue: `integrationService ${vmStateTokens(node.vm)}${gsi ? ` gsi:${node.service.enabled ? 'on' : 'off'}` : ''}`,
        collapsible: 'none',
      };
    }
    case 'note':
      return { id: node.id, label: node.text, contextValue: 'note', collapsible: 'none' };
  }
}

function presentHost(node: HostNode): RowPresentation {
  const { snapshot } = node;
  const inventory = snapshot.inventory;
  const local = snapshot.target.key === LOCAL_HOST_KEY;
  const name = inventory?.host.name ?? snapshot.target.computerName ?? 'This computer';
  const simulated = inventory?.host.simulated === true;
  const parts = [
    simulated ? 'simulated host, not a real Hyper-V' : local ? 'this computer' : 'remote',
    inventory?.host.osBuild ? `build ${inventory.host.osBuild}` : undefined,
    inventory ? `${inventory.vms.length} VM${inventory.vms.length === 1 ? '' : 's'}` : snapshot.loading ? 'loading…' : undefined,
  ];
  const tooltip = [
    `**${escapeMarkdown(name)}**${simulated ? ' (simulated)' : ''}`,
    simulated ? 'A development stand-in that answers like Hyper-V; nothing here touches a real VM.' : undefined,
    inventory?.host.osBuild ? `Windows build ${escapeMarkdown(inventory.host.osBuild)}` : undefined,
    inventory?.hostDriver
      ? `Host GPU driver ${escapeMarkdown(inventory.hostDriver.version)} (${escapeMarkdown(inventory.hostDriver.deviceName)}, ${escapeMarkdown(inventory.hostDriver.infName)})`
      : undefined,
    snapshot.error ? `Last refresh failed: ${escapeMarkdown(snapshot.error.message)}` : undefined,
  ];
  return {
    id: node.hostKey,
    label: simulated ? `${displayText(name)} (simulated)` : displayText(name),
    description: parts.filter(Boolean).join(' · '),
    tooltip: tooltip.filter(Boolean).join('\n\n'),
    icon: snapshot.error ? { id: 'server', color: ERROR_COLOR } : { id: simulated ? 'beaker' : local ? 'server' : 'remote' },
    contextValue: `host ${local ? 'local' : 'remote'}${snapshot.error ? ' failed' : ''}`,
    collapsible: 'expanded',
  };
}

/** What each mode means, as the row's description and the first line of its tooltip. */
const HOST_GPU_MODES: Readonly<Record<HostGpu['mode'], { readonly description: (gpu: HostGpu) => string; readonly meaning: string }>> = {
  host: { description: () => 'on the host · can be assigned', meaning: 'The host drives it; it can be assigned whole to an off VM.' },
  partitionable: {
    description: () => 'partitioned with GPU-P',
    meaning: 'GPU-P hands out partitions of it (see Partitionable GPUs). It can be assigned whole only once no VM holds a partition.',
  },
  dismounted: {
    description: () => 'dismounted · no VM has it',
    meaning: 'Dismounted from the host but assigned to no VM: an assignment left half done. Return it to the host to use it again.',
  },
  assigned: { description: (gpu) => `assigned to ${displayText(gpu.vmName ?? 'a VM')}`, meaning: 'Given whole to the VM with Discrete Device Assignment; the host cannot use it.' },
};

function presentHostGpu(hostKey: string, gpu: HostGpu): RowPresentation {
  const mode = HOST_GPU_MODES[gpu.mode];
  const icon: RowIcon =
    gpu.mode === 'assigned' ? { id: 'circuit-board', color: 'charts.blue' } : gpu.mode === 'dismounted' ? { id: 'warning', color: WARNING_COLOR } : { id: 'circuit-board' };
  return {
    id: `${hostKey}/host-gpu/${gpu.locationPath}`,
    label: hostGpuName(gpu),
    description: `${mode.description(gpu)}${gpu.mode === 'host' && !gpu.enabled ? ' · disabled' : ''}`,
    tooltip: hostGpuTooltip(gpu),
    icon,
    contextValue: `hostGpu mode:${gpu.mode}`,
    collapsible: 'none',
  };
}

function hostGpuName(gpu: HostGpu): string {
  return displayText(gpu.name ?? gpu.instanceId);
}

function hostGpuTooltip(gpu: HostGpu): string {
  return [
    `**${escapeMarkdown(hostGpuName(gpu))}**`,
    HOST_GPU_MODES[gpu.mode].meaning,
    `Location path: \`${gpu.locationPath.replace(/`/g, "'")}\``,
    `Instance: \`${gpu.instanceId.replace(/`/g, "'")}\``,
    gpu.vmName ? `VM: ${escapeMarkdown(gpu.vmName)}` : undefined,
  ]
    .filter(Boolean)
    .join('\n\n');
}

function presentGpu(node: GpuNode): RowPresentation {
  const { gpu, holders } = node;
  const inUse = holders.length;
  const count = gpu.partitionCount ?? undefined;
  const free = vramFreePercent(gpu);
  const loadedVms = [...new Map(holders.filter(({ vm }) => vm.gpuLoad).map(({ vm }) => [vm.id, vm])).values()];
  const total = sumGpuLoads(loadedVms);
  const description = [
    `${inUse}/${count ?? '?'} partition${count === 1 ? '' : 's'} in use`,
    free === undefined ? undefined : `VRAM ${formatPercent(free)} free`,
    total ? gpuLoadTotalSummary(total) : undefined,
  ];
  const tooltip = [
    `**${escapeMarkdown(gpuName(gpu))}**`,
    `Instance path: \`${gpu.instancePath.replace(/`/g, "'")}\``,
    `Partitions: ${inUse} in use of ${count ?? 'unknown'}; valid counts ${gpu.validPartitionCounts.join(', ') || 'unknown'}`,
    ...PARTITION_RESOURCES.map((resource) => {
      const suffix = resource;
      const total = gpu[`total${suffix}`];
      const available = gpu[`available${suffix}`];
      const min = sharePercent(gpu[`minPartition${suffix}`], resource);
      const max = sharePercent(gpu[`maxPartition${suffix}`], resource);
      const availablePercent = ratioPercent(available, total);
      return `${RESOURCE_LABELS[resource]}: ${availablePercent === undefined ? 'unknown' : `${formatPercent(availablePercent)} available`}; a partition takes ${formatPercent(min)}–${formatPercent(max)}`;
    }),
    holders.length
      ? `Held by: ${holders.map(({ vm, adapter }) => `${escapeMarkdown(vm.name)} (${shareSummary(adapter)})`).join(', ')}`
      : 'No VM holds a partition of this GPU.',
    ...(loadedVms.length ? [gpuUseByVm(loadedVms, total)] : []),
  ];
  return {
    id: `${node.hostKey}/gpu/${gpu.instancePath}`,
    label: gpuName(gpu),
    description: description.filter(Boolean).join(' · '),
    tooltip: tooltip.join('\n\n'),
    icon: { id: 'circuit-board', color: inUse > 0 ? 'charts.green' : undefined },
    contextValue: `gpu${inUse > 0 ? ' inUse' : ''}`,
    collapsible: holders.length ? 'collapsed' : 'none',
  };
}

/** The GPU row's tooltip section: each VM's use and the sum, the noisy neighbour first. */
function gpuUseByVm(vms: readonly VirtualMachine[], total: GpuLoadTotal | undefined): string {
  const busiest = (vm: VirtualMachine) => (vm.gpuLoad ? busiestEngine(vm.gpuLoad)?.percent : undefined) ?? -1;
  const lines = [...vms]
    .sort((a, b) => busiest(b) - busiest(a))
    .map((vm) => `${escapeMarkdown(vm.name)}: ${gpuLoadSummary(vm.gpuLoad!)} · ${formatBytes(vm.gpuLoad!.dedicatedBytes)} dedicated`);
  if (total) lines.push(`All ${total.vms} VM${total.vms === 1 ? '' : 's'}: ${gpuLoadTotalSummary(total).replace(/^VMs: /, '')} · ${formatBytes(total.dedicatedBytes)} dedicated, ${formatBytes(total.sharedBytes)} shared`);
  return `GPU load of the VMs on it:  \n${lines.join('  \n')}`;
}

function presentVm(hostKey: string, vm: VirtualMachine, context: PresentationContext): RowPresentation {
  const driver = vm.gpuPartitions.length > 0 ? guestDriverState(context.hostDriver(hostKey), context.guestDriver(hostKey, vm.id)) : undefined;
  const gsi = guestServiceInterface(vm);
  const hasChildren = vm.gpuPartitions.length + vm.checkpoints.length + vm.integrationServices.length > 0;
  return {
    id: `${hostKey}/vm/${vm.id}`,
    label: displayText(vm.name),
    description: vmDescription(vm),
    tooltip: vmTooltip(vm, driver, context.gpuLoadHistory(hostKey, vm.id)),
    icon: vmIcon(vm.state),
    contextValue: [
      'vm',
      vmStateTokens(vm),
      vm.gpuPartitions.length > 0 ? 'gpup:yes' : 'gpup:no',
      gsi ? `gsi:${gsi.enabled ? 'on' : 'off'}` : '',
      driver?.kind === 'stale' ? 'driver:stale' : '',
    ]
      .filter(Boolean)
      .join(' '),
    collapsible: hasChildren ? 'collapsed' : 'none',
    warning:
      driver?.kind === 'stale'
        ? { badge: '!', tooltip: describeDriverState(driver), color: WARNING_COLOR }
        : undefined,
  };
}

/** "Running · 12% CPU · 8 GB · 2h 03m · GPU 62% 3D"; only the state for a VM that is off. */
export function vmDescription(vm: VirtualMachine): string {
  const parts: string[] = [displayText(vm.state)];
  if (vm.state === 'Running' || vm.state === 'Paused') {
    if (vm.state === 'Running' && vm.cpuUsage !== null) parts.push(`${vm.cpuUsage}% CPU`);
    if (vm.memoryAssigned) parts.push(formatBytes(vm.memoryAssigned));
    if (vm.uptimeSeconds > 0) parts.push(formatUptime(vm.uptimeSeconds));
    if (vm.state === 'Running' && vm.gpuLoad) parts.push(gpuLoadSummary(vm.gpuLoad));
  }
  return parts.join(' · ');
}

function vmTooltip(vm: VirtualMachine, driver: DriverState | undefined, loadHistory: readonly number[]): string {
  const gsi = guestServiceInterface(vm);
  const lines = [
    `**${escapeMarkdown(vm.name)}**`,
    escapeMarkdown(vmDescription(vm)),
    `Generation ${vm.generation ?? '?'} · configuration version ${escapeMarkdown(vm.version || '?')} · automatic stop action ${escapeMarkdown(vm.automaticStopAction || '?')}`,
    `Guest-controlled cache types ${vm.guestControlledCacheTypes === true ? 'on' : 'off'} · MMIO low ${formatBytes(vm.lowMmioGapSize)}, high ${formatBytes(vm.highMmioGapSize)}`,
    vm.gpuPartitions.length
      ? `GPU partitions: ${vm.gpuPartitions.map((adapter) => shareSummary(adapter)).join('; ')}`
      : 'No GPU partition.',
    ...(vm.gpuLoad ? gpuLoadLines(vm.gpuLoad, loadHistory) : []),
    `Checkpoints: ${vm.checkpoints.length}`,
    gsi && !gsi.enabled ? '$(warning) Guest Service Interface is off: copying files into the guest needs it.' : undefined,
    driver ? `${driver.kind === 'stale' ? '$(warning) ' : ''}${escapeMarkdown(describeDriverState(driver))}` : undefined,
    `Id \`${vm.id.replace(/`/g, "'")}\``,
  ];
  return lines.filter(Boolean).join('\n\n');
}

function presentCheckpoint(hostKey: string, vm: VirtualMachine, checkpoint: Checkpoint, hasChildren: boolean): RowPresentation {
  const created = checkpoint.created ? new Date(checkpoint.created) : undefined;
  const when = created && !Number.isNaN(created.getTime()) ? created.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : undefined;
  return {
    id: `${hostKey}/vm/${vm.id}/checkpoint/${checkpoint.id}`,
    label: displayText(checkpoint.name),
    description: when,
    tooltip: `**${escapeMarkdown(checkpoint.name)}**${when ? `\n\nCreated ${when}` : ''}\n\nApplying it returns **${escapeMarkdown(vm.name)}** to this state; changes since are lost unless you checkpoint first.`,
    icon: { id: 'git-commit' },
    contextValue: `checkpoint ${vmStateTokens(vm)}`,
    collapsible: hasChildren ? 'expanded' : 'none',
  };
}

function partitionTooltip(vm: VirtualMachine, adapter: GpuPartitionAdapter, gpu: PartitionableGpu | undefined): string {
  return [
    `**GPU partition of ${escapeMarkdown(vm.name)}**`,
    gpu ? `Host GPU: ${escapeMarkdown(gpuName(gpu))}` : 'Host GPU: not identified (the adapter names no instance path)',
    ...PARTITION_RESOURCES.map((resource) => `${RESOURCE_LABELS[resource]}: ${describeResourceShare(adapter, resource)}`),
    `Adapter id \`${adapter.adapterId.replace(/`/g, "'")}\``,
  ].join('\n\n');
}

/**
 * "50% of every resource" (min = max = optimal everywhere), "up to 50% of every resource"
 * (one maximum and optimal, lower minimums), or per resource when they differ.
 */
export function shareSummary(adapter: GpuPartitionAdapter): string {
  const uniform = uniformPercent(adapter);
  if (uniform !== undefined) return `${formatPercent(uniform)} of every resource`;
  const ceilings = new Set(
    PARTITION_RESOURCES.flatMap((resource) =>
      (['max', 'optimal'] as const).map((bound) => formatPercent(sharePercent(adapter[valueKey(bound, resource)], resource))),
    ),
  );
  if (ceilings.size === 1) return `up to ${[...ceilings][0]} of every resource`;
  return PARTITION_RESOURCES.map((resource) => `${RESOURCE_LABELS[resource]} ${describeResourceShare(adapter, resource)}`).join(' · ');
}

export function gpuName(gpu: PartitionableGpu): string {
  if (gpu.friendlyName) return displayText(gpu.friendlyName);
  // \\?\PCI#VEN_10DE&DEV_2684&SUBSYS...#...  ->  PCI VEN_10DE&DEV_2684
  const ids = /VEN_[0-9A-F]{4}&DEV_[0-9A-F]{4}/i.exec(gpu.instancePath);
  return ids ? `GPU ${ids[0].toUpperCase()}` : displayText(gpu.instancePath);
}

function vramFreePercent(gpu: PartitionableGpu): number | undefined {
  return ratioPercent(gpu.availableVram, gpu.totalVram);
}

function ratioPercent(part: unknown, whole: unknown): number | undefined {
  const a = toBig(part);
  const b = toBig(whole);
  if (a === undefined || b === undefined || b === 0n) return undefined;
  return Number((a * 10_000n) / b) / 100;
}

function toBig(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  return undefined;
}

/** `state:running`: menus match the states an action applies to (`viewItem =~ /state:(off|saved)/`). */
export function vmStateTokens(vm: VirtualMachine): string {
  const state = vm.state.toLowerCase().replace(/[^a-z]/g, '');
  return `state:${state}`;
}

export function vmIcon(state: string): RowIcon {
  switch (state) {
    case 'Running':
      return { id: 'vm-running', color: 'charts.green' };
    case 'Paused':
      return { id: 'debug-pause', color: 'charts.yellow' };
    case 'Saved':
      return { id: 'save', color: 'charts.blue' };
    case 'Off':
      return { id: 'vm-outline' };
    case 'Starting':
    case 'Stopping':
    case 'Saving':
    case 'Pausing':
    case 'Resuming':
    case 'Reset':
      return { id: 'loading~spin' };
    default:
      return { id: 'vm', color: WARNING_COLOR };
  }
}

