import { ModuleError } from './replies';

// Reading -EncodedParams the way GpuPv.psm1 does: strict base64 of UTF-8 JSON, an object,
// property names matched case-insensitively (PowerShell's PSObject.Properties[...]).

export type Params = Readonly<Record<string, unknown>>;

/** .NET's Convert.FromBase64String: whole quads, padding only at the end. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** base64 -> UTF-8 text, or undefined when either step fails. */
export function decodeBase64Text(encoded: string): string | undefined {
  if (!STRICT_BASE64.test(encoded)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }
}

/** ConvertFrom-GpuPvParams: '' is an empty object; anything else must be a JSON object. */
export function decodeParams(encoded: string): Params {
  if (encoded === '') return {};
  const text = decodeBase64Text(encoded);
  let parsed: unknown;
  try {
    if (text === undefined) throw new Error('not base64 of UTF-8');
    parsed = JSON.parse(text);
  } catch {
    throw new ModuleError('InvalidParameter', 'EncodedParams is not base64 of UTF-8 JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ModuleError('InvalidParameter', 'EncodedParams must encode a JSON object.');
  }
  return parsed as Params;
}

/** Get-GpuPvParam: undefined when absent or null. */
export function param(params: Params, name: string): unknown {
  const lower = name.toLowerCase();
  const key = Object.keys(params).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : (params[key] ?? undefined);
}

/** Get-GpuPvString: [string] of the value; '' counts as absent, as `if ($value)` does there. */
export function stringParam(params: Params, name: string, required = false): string | undefined {
  const value = param(params, name);
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'boolean') text = value ? 'True' : 'False';
  else if (typeof value === 'number') text = String(value);
  else if (value !== undefined) text = JSON.stringify(value);
  if (required && !text) throw new ModuleError('InvalidParameter', `Parameter '${name}' is required.`);
  return text === '' ? undefined : text;
}

/** Get-GpuPvBool: a JSON boolean or absent. */
export function boolParam(params: Params, name: string, fallback = false): boolean {
  const value = param(params, name);
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ModuleError('InvalidParameter', `Parameter '${name}' must be true or false.`);
  return value;
}

const UNITS: Readonly<Record<string, bigint>> = { KB: 1024n, MB: 1024n ** 2n, GB: 1024n ** 3n, TB: 1024n ** 4n };
const UINT64_MAX = 2n ** 64n - 1n;

/** ConvertTo-GpuPvUInt64: an integral number, a decimal string or '3GB'-style text. */
export function toUInt64(value: unknown, name: string): bigint {
  let text: string | undefined;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isInteger(value)) text = BigInt(value).toString();
  const match = text === undefined ? null : /^(\d{1,20})\s*(KB|MB|GB|TB)?$/i.exec(text);
  if (match) {
    const n = BigInt(match[1]!) * (match[2] ? UNITS[match[2].toUpperCase()]! : 1n);
    if (n <= UINT64_MAX) return n;
  }
  throw new ModuleError(
    'InvalidParameter',
    `'${name}' must be an unsigned integer (0..18446744073709551615; send large values as strings).`,
  );
}

/** What the module's [uint64] becomes in JSON: a number (exact up to 2^53). */
export function uint64Json(n: bigint): number {
  return Number(n);
}
