import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import { resolveTypedefs } from '../model/types';
import type { IntegerField } from '../ring/recordFraming';
import { fieldHex } from '../ring/ringMagic';
import type { PointerMode } from '../ring/ringWalker';
import { findRecord, suggest, type ProfileDiagnostic } from './commandProfile';

// Where the ring lives in shared memory and where its pointers are: the control region
// struct at the start of the mapping, its producer/consumer fields, the ring's offset
// and size (read from fields of the control region, or given as numbers), and the magic
// value that tells this protocol's mappings from any other.

export interface RingProfileConfig {
  readonly control: string;
  readonly producerField: string;
  readonly consumerField: string;
  readonly ringOffsetField?: string;
  readonly ringOffset?: number;
  readonly ringSizeField?: string;
  readonly ringSize?: number;
  readonly pointers?: PointerMode;
  readonly completedFenceField?: string;
  readonly magicField?: string;
  /** A number, numeric text ("0x50564750"), or the name of a macro or enum constant of the header. */
  readonly magic?: number | string;
}

/** The control region's identification: the field and the value a ring of this protocol holds there. */
export interface RingMagic {
  readonly field: IntegerField;
  /** The field as the profile names it: `PvgpuControlRegion.magic`. */
  readonly fieldName: string;
  readonly value: bigint;
  /** The value as gpupv.json gives it: `PVGPU_MAGIC (0x50564750)`, or just the number. */
  readonly shown: string;
}

export interface RingProfile {
  readonly control: RecordInfo;
  readonly producer: IntegerField;
  readonly consumer: IntegerField;
  readonly ringOffset: IntegerField | number;
  readonly ringSize: IntegerField | number;
  readonly pointers: PointerMode;
  readonly completedFence?: IntegerField;
  readonly magic?: RingMagic;
}

export function resolveRingProfile(analysis: HeaderAnalysis, config: RingProfileConfig): { profile?: RingProfile; diagnostics: ProfileDiagnostic[] } {
  const diagnostics: ProfileDiagnostic[] = [];
  const control = findRecord(analysis, config.control);
  if (!control) {
    diagnostics.push({ severity: 'error', message: `no struct named "${config.control}" for the control region${suggest(config.control, analysis.records.map((r) => r.name))}`, property: 'protocol.ring.control' });
    return { diagnostics };
  }
  const field = (path: string | undefined, property: string): IntegerField | undefined => {
    if (path === undefined) return undefined;
    const leaf = control.fields.find((f) => f.path === path);
    const type = leaf ? resolveTypedefs(leaf.resolved) : undefined;
    if (!leaf || type?.kind !== 'integer' || leaf.bitWidth !== undefined || leaf.count !== undefined || (leaf.size !== 4 && leaf.size !== 8)) {
      const why = leaf ? `must be a 32- or 64-bit integer, not ${leaf.type}` : `does not exist${suggest(path, control.fields.map((f) => f.path))}`;
      diagnostics.push({ severity: 'error', message: `${control.name}.${path} ${why}`, property });
      return undefined;
    }
    return { offset: leaf.offset, size: leaf.size, byteOrder: type.byteOrder };
  };
  const producer = field(config.producerField, 'protocol.ring.producerField');
  const consumer = field(config.consumerField, 'protocol.ring.consumerField');
  const ringOffset = field(config.ringOffsetField, 'protocol.ring.ringOffsetField') ?? config.ringOffset;
  const ringSize = field(config.ringSizeField, 'protocol.ring.ringSizeField') ?? config.ringSize;
  const completedFence = field(config.completedFenceField, 'protocol.ring.completedFenceField');
  const magicField = field(config.magicField, 'protocol.ring.magicField');
  const magic = magicField && config.magic !== undefined ? resolveMagic(analysis, `${control.name}.${config.magicField!}`, magicField, config.magic, diagnostics) : undefined;
  if (ringOffset === undefined) diagnostics.push({ severity: 'error', message: 'give the ring\u2019s offset as ringOffsetField or ringOffset', property: 'protocol.ring.ringOffset' });
  if (ringSize === undefined) diagnostics.push({ severity: 'error', message: 'give the ring\u2019s size as ringSizeField or ringSize', property: 'protocol.ring.ringSize' });
  if (!producer || !consumer || ringOffset === undefined || ringSize === undefined || diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return {
    profile: { control, producer, consumer, ringOffset, ringSize, pointers: config.pointers ?? 'monotonic', ...(completedFence ? { completedFence } : {}), ...(magic ? { magic } : {}) },
    diagnostics,
  };
}

function resolveMagic(analysis: HeaderAnalysis, fieldName: string, field: IntegerField, given: number | string, diagnostics: ProfileDiagnostic[]): RingMagic | undefined {
  const hex = (value: bigint) => fieldHex(value, field.size);
  let value: bigint | undefined;
  let shown: (value: bigint) => string = hex;
  if (typeof given === 'number' || /^(?:0[xX][0-9a-fA-F]+|\d+)$/.test(given)) value = BigInt(given);
  else {
    const constant = analysis.constants.get(given) ?? analysis.enums.map((e) => e.values.get(given)).find((v) => v !== undefined);
    if (typeof constant !== 'bigint') {
      const known = [...analysis.constants].filter(([, v]) => typeof v === 'bigint').map(([n]) => n).concat(analysis.enums.flatMap((e) => [...e.values.keys()]));
      const why = constant === undefined ? `the header defines no macro or enum constant named "${given}"${suggest(given, known)}` : `${given} is a string, not a number`;
      diagnostics.push({ severity: 'error', message: why, property: 'protocol.ring.magic' });
      return undefined;
    }
    value = constant;
    shown = (v) => `${given} (${hex(v)})`;
  }
  if (value < 0n || value >= 1n << BigInt(field.size * 8)) {
    diagnostics.push({ severity: 'error', message: `${shown(value)} does not fit the ${field.size}-byte ${fieldName}`, property: 'protocol.ring.magic' });
    return undefined;
  }
  return { field, fieldName, value, shown: shown(value) };
}
