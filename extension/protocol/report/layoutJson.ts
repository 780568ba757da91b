import type { HeaderAnalysis } from '../headerAnalysis';

// The `gpupv layout --json` document. Numbers beyond 2^53 are decimal strings so that no
// JSON reader silently rounds a 64-bit constant.

export interface LayoutJson {
  abi: string;
  records: {
    name: string;
    kind: 'struct' | 'union';
    tag?: string;
    typedefs: string[];
    size: number;
    align: number;
    file: string;
    line: number;
    fields: { path: string; offset: number; size: number; bitOffset?: number; bitWidth?: number; type: string; count?: number }[];
  }[];
  enums: { name: string; values: Record<string, number | string> }[];
  constants: Record<string, number | string>;
}

export function layoutJson(analysis: HeaderAnalysis, only?: ReadonlySet<string>): LayoutJson {
  const records = analysis.records.filter((r) => !only || only.has(r.name) || (r.tag !== undefined && only.has(r.tag)) || r.typedefNames.some((n) => only.has(n)));
  return {
    abi: analysis.abi,
    records: records.map((r) => ({
      name: r.name,
      kind: r.kind,
      ...(r.tag ? { tag: r.tag } : {}),
      typedefs: [...r.typedefNames],
      size: r.size,
      align: r.align,
      file: r.location.file,
      line: r.location.line,
      fields: r.fields.map((f) => ({
        path: f.path,
        offset: f.offset,
        size: f.size,
        ...(f.bitWidth !== undefined ? { bitOffset: f.bitOffset!, bitWidth: f.bitWidth } : {}),
        type: f.type,
        ...(f.count !== undefined ? { count: f.count } : {}),
      })),
    })),
    enums: analysis.enums.map((e) => ({ name: e.name, values: Object.fromEntries([...e.values].map(([k, v]) => [k, jsonNumber(v)])) })),
    constants: Object.fromEntries([...analysis.constants].map(([k, v]) => [k, typeof v === 'string' ? v : jsonNumber(v)])),
  };
}

export function jsonNumber(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}
