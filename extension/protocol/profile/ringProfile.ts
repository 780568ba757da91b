import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import { resolveTypedefs } from '../model/types';
import type { IntegerField } from '../ring/recordFraming';
import type { PointerMode } from '../ring/ringWalker';
import { findRecord, suggest, type ProfileDiagnostic } from './commandProfile';

// Where the ring lives in shared memory and where its pointers are: the control region
// struct at the start of the mapping, its producer/consumer fields, and the ring's offset
// and size (read from fields of the control region, or given as numbers).

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
}

export interface RingProfile {
  readonly control: RecordInfo;
  readonly producer: IntegerField;
  readonly consumer: IntegerField;
  readonly ringOffset: IntegerField | number;
  readonly ringSize: IntegerField | number;
  readonly pointers: PointerMode;
  readonly completedFence?: IntegerField;
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
  if (ringOffset === undefined) diagnostics.push({ severity: 'error', message: 'give the ring\u2019s offset as ringOffsetField or ringOffset', property: 'protocol.ring.ringOffset' });
  if (ringSize === undefined) diagnostics.push({ severity: 'error', message: 'give the ring\u2019s size as ringSizeField or ringSize', property: 'protocol.ring.ringSize' });
  if (!producer || !consumer || ringOffset === undefined || ringSize === undefined || diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return {
    profile: { control, producer, consumer, ringOffset, ringSize, pointers: config.pointers ?? 'monotonic', ...(completedFence ? { completedFence } : {}) },
    diagnostics,
  };
}
