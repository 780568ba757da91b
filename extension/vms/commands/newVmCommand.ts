import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../common/contributions';
import { LOCAL_HOST_KEY } from '../../hyperv/hyperVHost';
import type { Inventory, NewVmOptions, NewVmProgress, NewVmResult, PartitionableGpu, WindowsImage } from '../../hyperv/inventory';
import type { NewVmParams } from '../../hyperv/moduleCommand';
import { displayText, formatBytes } from '../model/formatting';
import { formatPercent, percentError, uniformShare } from '../model/partitionShares';
import type { VmTreeNode } from '../model/vmTreeNodes';
import { gpuName } from '../model/vmTreePresentation';
import { reportFailure, vmLabel, withViewProgress, type VmCommandContext } from './vmCommandContext';

// GPU-PV: New GPU-P VM… — what the community GPU-P scripts are mostly used for, as a wizard:
// a Windows ISO (an edition of it) or a copy of an existing disk, the VM's size, the host GPU
// and its share, the network, and optionally an unattended setup with a local administrator.
// The module's own dry run lists every step before anything is made; the creation runs with
// progress and Cancel, and a cancel or a failure leaves nothing behind (the module says what
// it removed). The answer file's account is kept in SecretStorage for PowerShell Direct.

/** Applying a Windows image to a disk takes minutes; the whole creation, never hours. */
const CREATE_TIMEOUT_MS = 2 * 60 * 60_000;
const PROGRESS_POLL_MS = 250;
const GB = 1024 ** 3;
/** Windows 11 needs 64 GB of disk and 4 GB of memory; Windows 10 installs in less. */
const DISK_SIZES_GB = [64, 128, 256, 512];
const MEMORY_SIZES_GB = [4, 8, 16, 32, 64];
const SHARES = [100, 50, 25, 12.5];
/** A dozen questions: looking at the tree, a file or a terminal in between must not lose them. */
const KEEP_OPEN = { ignoreFocusOut: true } as const;

export function registerNewVmCommand(context: VmCommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.newGpuPVm, (node?: VmTreeNode) => newGpuPVm(context, node));
}

interface Answers {
  readonly params: NewVmParams;
  /** The unattended setup's account, to keep for PowerShell Direct once the VM exists. */
  readonly account?: { readonly user: string; readonly password: string };
}

async function newGpuPVm(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  if (node?.kind === 'host' && node.hostKey !== LOCAL_HOST_KEY) {
    void vscode.window.showWarningMessage('New GPU-P VMs are made on this computer only: the ISO and the new disk are local files.');
    return;
  }
  const inventory = context.inventories.snapshot(LOCAL_HOST_KEY)?.inventory;
  if (!inventory) {
    void vscode.window.showInformationMessage('This computer’s Hyper-V is not listed yet: open the Virtual Machines view, or check its message.');
    return;
  }
  if (inventory.gpus.length === 0) {
    void vscode.window.showWarningMessage('This computer has no partitionable GPU (Get-VMHostPartitionableGpu lists none), so a GPU-P VM cannot be made here.');
    return;
  }
  const answers = await askEverything(context, inventory);
  if (!answers) return;
  const host = context.inventories.host(LOCAL_HOST_KEY);
  const plan = await withViewProgress(context, `Planning ${displayText(answers.params.name)}…`, () => host.call('New-GpuPvVm', { ...answers.params, dryRun: true }));
  if (!plan) return;
  const detail = [...plan.steps.map((step) => `• ${displayText(step.detail)}`), '', 'A cancel or a failure removes what was made.'].join('\n');
  const create = 'Create VM';
  if ((await vscode.window.showInformationMessage(`Create the GPU-P VM "${displayText(plan.name)}"?`, { modal: true, detail }, create)) !== create) return;
  let made: NewVmResult | undefined;
  try {
    made = await runCreation(context, answers.params, plan.steps.length);
  } catch (error) {
    await reportFailure(context, error);
  }
  await context.scheduler.requestManual();
  const vm = made?.vm;
  if (!vm) return;
  if (answers.account) await context.credentials.remember({ hostKey: LOCAL_HOST_KEY, vmId: vm.id, vmName: vm.name }, answers.account);
  context.log.info(`New GPU-P VM ${vm.name} (${vm.id}) on ${made!.vhdPath}: ${plan.steps.map((s) => s.step).join(', ')}`);
  const start = 'Start VM';
  const choice = await vscode.window.showInformationMessage(
    `Created ${vmLabel(vm)} with a GPU partition.` +
      (answers.account ? ' Windows sets itself up at the first start; its account is kept for PowerShell Direct.' : ' Finish Windows setup in its console at the first start.'),
    start,
  );
  if (choice === start) await vscode.commands.executeCommand(Commands.vmStart, { kind: 'vm', hostKey: LOCAL_HOST_KEY, vm, gpus: [] } satisfies VmTreeNode);
}

/** The wizard's questions, one after the other; undefined as soon as one is dismissed. */
async function askEverything(context: VmCommandContext, inventory: Inventory): Promise<Answers | undefined> {
  const title = (what: string) => `New GPU-P VM: ${what}`;
  const taken = new Set(inventory.vms.map((vm) => vm.name));
  const name = await vscode.window.showInputBox({
    ...KEEP_OPEN,
    title: title('name'),
    prompt: 'The VM’s name in Hyper-V',
    validateInput: (value) =>
      !value.trim() ? 'A VM needs a name.' : value.length > 100 ? 'At most 100 characters.' : taken.has(value) ? `A VM named “${value}” exists already.` : undefined,
  });
  if (name === undefined) return undefined;

  const source = await vscode.window.showQuickPick(
    [
      { label: '$(file-media) Windows ISO…', description: 'an edition of it applied to a new disk', from: 'iso' as const },
      { label: '$(database) Existing virtual disk…', description: 'a copy of a .vhdx that holds Windows; the original stays as it is', from: 'vhdx' as const },
    ],
    { ...KEEP_OPEN, title: title('install from') },
  );
  if (!source) return undefined;
  const files = await vscode.window.showOpenDialog({
    title: source.from === 'iso' ? 'Windows installation ISO' : 'Virtual disk with Windows',
    canSelectMany: false,
    filters: source.from === 'iso' ? { 'Disk images': ['iso'] } : { 'Virtual disks': ['vhdx', 'vhd'] },
    openLabel: source.from === 'iso' ? 'Use this ISO' : 'Copy this disk',
  });
  const file = files?.[0]?.fsPath;
  if (!file) return undefined;
  const host = context.inventories.host(LOCAL_HOST_KEY);
  const options = await withViewProgress(context, source.from === 'iso' ? `Reading the editions of ${path.basename(file)}…` : 'Reading this computer’s Hyper-V settings…', () =>
    host.call('Get-GpuPvNewVmOptions', source.from === 'iso' ? { isoPath: file } : {}),
  );
  if (!options) return undefined;

  let image: WindowsImage | undefined;
  let diskBytes: number | undefined;
  if (source.from === 'iso') {
    image = await pickImage(options, title('edition'));
    if (!image) return undefined;
    const sizes = DISK_SIZES_GB.filter((gb) => !image!.needsTpm || gb >= 64);
    const disk = await vscode.window.showQuickPick(
      sizes.map((gb) => ({ label: `${gb} GB`, description: gb === 128 ? 'dynamically expanding: takes only what Windows writes' : undefined, gb })),
      { ...KEEP_OPEN, title: title('disk size'), placeHolder: `A new disk in ${options.vhdFolder}` },
    );
    if (!disk) return undefined;
    diskBytes = disk.gb * GB;
  }

  const memory = await vscode.window.showQuickPick(
    MEMORY_SIZES_GB.filter((gb) => gb * GB < options.memoryBytes).map((gb) => ({ label: `${gb} GB`, description: gb === 8 ? 'static: GPU-P VMs cannot use dynamic memory' : undefined, gb })),
    { ...KEEP_OPEN, title: title('memory'), placeHolder: `This computer has ${formatBytes(options.memoryBytes)}` },
  );
  if (!memory) return undefined;
  const cpus = await vscode.window.showQuickPick(
    [2, 4, 8, 16, 32].filter((n) => n <= options.logicalProcessors).map((n) => ({ label: `${n} virtual processors`, n })),
    { ...KEEP_OPEN, title: title('processors'), placeHolder: `This computer has ${options.logicalProcessors} logical processors` },
  );
  if (!cpus) return undefined;

  const gpu = await pickGpu(inventory.gpus, title('GPU'));
  if (!gpu) return undefined;
  const share = await pickShare(gpu, title('share of the GPU'));
  if (share === undefined) return undefined;

  const network = await vscode.window.showQuickPick(
    [...options.switches.map((s) => ({ label: `$(globe) ${displayText(s)}`, switchName: s })), { label: '$(circle-slash) No network adapter', switchName: undefined }],
    { ...KEEP_OPEN, title: title('network') },
  );
  if (!network) return undefined;

  const setup = await askSetup(name, title('Windows setup'));
  if (setup === undefined) return undefined;

  const params: NewVmParams = {
    name,
    ...(source.from === 'iso' ? { isoPath: file, imageIndex: image!.index, diskBytes: diskBytes! } : { vhdxPath: file }),
    memoryBytes: memory.gb * GB,
    cpuCount: cpus.n,
    gpuInstancePath: gpu.instancePath,
    ...(share === null ? {} : { partition: uniformShare(share) }),
    ...(network.switchName ? { switchName: network.switchName } : {}),
    // The host's driver goes onto the disk when the host has one to give.
    syncDriver: inventory.hostDriver !== null,
    ...(setup ? { answerFile: { userName: setup.user, computerName: setup.computerName, passwordB64: Buffer.from(setup.password, 'utf8').toString('base64') } } : {}),
  };
  return { params, ...(setup ? { account: { user: setup.user, password: setup.password } } : {}) };
}

async function pickImage(options: NewVmOptions, title: string): Promise<WindowsImage | undefined> {
  const preferred = options.images.find((image) => image.editionId === 'Professional') ?? options.images[0];
  const items = options.images.map((image) => ({
    label: displayText(image.name),
    description: `${image.version}${image.needsTpm ? ' · needs a TPM and Secure Boot: both are set up' : ''}`,
    detail: `image ${image.index} of ${options.imageFile ?? 'the ISO'}`,
    image,
  }));
  // The edition developers test on comes first.
  items.sort((a, b) => Number(b.image === preferred) - Number(a.image === preferred));
  return (await vscode.window.showQuickPick(items, { ...KEEP_OPEN, title }))?.image;
}

async function pickGpu(gpus: readonly PartitionableGpu[], title: string): Promise<PartitionableGpu | undefined> {
  if (gpus.length === 1) return gpus[0];
  const picked = await vscode.window.showQuickPick(
    gpus.map((gpu) => ({ label: gpuName(gpu), description: `${gpu.partitionCount ?? '?'} partitions`, detail: gpu.instancePath, gpu })),
    { ...KEEP_OPEN, title },
  );
  return picked?.gpu;
}

/** A share of every resource as a percentage, null for Hyper-V's defaults, undefined when dismissed. */
async function pickShare(gpu: PartitionableGpu, title: string): Promise<number | null | undefined> {
  const items: (vscode.QuickPickItem & { percent?: number | null })[] = [
    ...SHARES.map((percent) => ({ label: formatPercent(percent), description: `of every resource of ${gpuName(gpu)}: VRAM, encode, decode, compute`, percent })),
    { label: 'Hyper-V’s defaults', description: 'the GPU’s own minimum, maximum and optimal', percent: null },
    { label: 'Another share…', description: 'a percentage of your own' },
  ];
  const picked = await vscode.window.showQuickPick(items, { ...KEEP_OPEN, title });
  if (!picked) return undefined;
  if (picked.percent !== undefined) return picked.percent;
  const text = await vscode.window.showInputBox({ ...KEEP_OPEN, title, prompt: 'Percent of every resource, as min = max = optimal', validateInput: percentError });
  return text === undefined ? undefined : Number(text.trim().replace(/%$/, ''));
}

/** Windows account names: at most 20 characters, none of these. */
const BAD_ACCOUNT = /["/\\[\]:;|=,+*?<>@]/;

/** An unattended setup's account and computer name; null to set Windows up by hand; undefined when dismissed. */
async function askSetup(vmName: string, title: string): Promise<{ user: string; password: string; computerName: string } | null | undefined> {
  const how = await vscode.window.showQuickPick(
    [
      { label: '$(key) Unattended, with a local administrator', description: 'kept in VS Code’s secret storage, for PowerShell Direct', unattended: true },
      { label: '$(person) I set Windows up myself', description: 'in the VM’s console at its first start', unattended: false },
    ],
    { ...KEEP_OPEN, title },
  );
  if (!how) return undefined;
  if (!how.unattended) return null;
  const user = await vscode.window.showInputBox({
    ...KEEP_OPEN,
    title,
    prompt: 'The local administrator’s name',
    value: 'gpupv',
    validateInput: (value) =>
      !value.trim() || value.length > 20 || BAD_ACCOUNT.test(value) ? 'At most 20 characters, none of " / \\ [ ] : ; | = , + * ? < > @.' : undefined,
  });
  if (user === undefined) return undefined;
  const password = await vscode.window.showInputBox({
    ...KEEP_OPEN,
    title,
    prompt: `${user}’s password (PowerShell Direct signs in only with a password)`,
    password: true,
    validateInput: (value) => (value ? undefined : 'A password is needed.'),
  });
  if (password === undefined) return undefined;
  const computerName = await vscode.window.showInputBox({
    ...KEEP_OPEN,
    title,
    prompt: 'The computer name inside Windows: 1 to 15 letters, digits and hyphens',
    value: defaultComputerName(vmName),
    validateInput: (value) => (/^[A-Za-z0-9-]{1,15}$/.test(value) && !/^\d+$/.test(value) ? undefined : '1 to 15 letters, digits and hyphens, not only digits.'),
  });
  if (computerName === undefined) return undefined;
  return { user, password, computerName };
}

/** A VM name as a NetBIOS computer name. */
export function defaultComputerName(vmName: string): string {
  const name = vmName
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 15)
    .replace(/-+$/, '');
  return name && !/^\d+$/.test(name) ? name.toUpperCase() : 'GPUP-VM';
}

/**
 * Runs the creation with its progress in a notification: the module's step, and its files
 * during the driver copy. Cancel asks the module to stop before its next step; it then
 * removes what it made and the call ends with its Cancelled error, saying what it removed.
 */
async function runCreation(context: VmCommandContext, params: NewVmParams, stepsTotal: number): Promise<NewVmResult> {
  return await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Creating "${displayText(params.name)}"`, cancellable: true },
    async (progress, token) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'gpupv-new-vm-'));
      const progressFile = path.join(dir, 'progress.json');
      const cancelFile = path.join(dir, 'cancel');
      const cancelled = token.onCancellationRequested(() => {
        progress.report({ message: 'cancelling: the current step finishes, then what was made is removed…' });
        void writeFile(cancelFile, '');
      });
      let reported = 0;
      const poll = setInterval(() => {
        void readFile(progressFile, 'utf8').then(
          (text) => {
            if (token.isCancellationRequested) return;
            const state = JSON.parse(text) as NewVmProgress;
            const percent = Math.min(100, (state.stepsDone / Math.max(1, state.stepsTotal)) * 100);
            const files = state.step === 'syncDriver' && state.filesTotal > 0 ? ` (${state.filesDone} of ${state.filesTotal} files)` : '';
            progress.report({ message: `${Math.min(state.stepsDone + 1, state.stepsTotal)} of ${state.stepsTotal}: ${displayText(state.detail ?? '')}${files}`, increment: Math.max(0, percent - reported) });
            reported = Math.max(reported, percent);
          },
          () => undefined, // Not written yet, or caught mid-write: the next poll reads it.
        );
      }, PROGRESS_POLL_MS);
      progress.report({ message: `1 of ${stepsTotal}: starting…` });
      try {
        return await context.inventories.host(LOCAL_HOST_KEY).call('New-GpuPvVm', { ...params, progressFile, cancelFile }, { timeoutMs: CREATE_TIMEOUT_MS });
      } finally {
        clearInterval(poll);
        cancelled.dispose();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}
