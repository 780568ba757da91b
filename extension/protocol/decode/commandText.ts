import type { FieldNode } from './fieldTree';

// A decoded command as text to paste elsewhere: JSON (u64 above 2^53 as decimal strings, as
// `gpupv decode` prints them) or a C designated initializer of its struct, so a developer can
// replay a command from a test or compare it with what the driver meant to write.

export function commandAsJson(fields: object): string {
  return JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()) : value), 2);
}

/** `(PvgpuCmdDrawIndexed){ .hdr = { .type = PVGPU_CMD_DRAW_INDEXED, ... }, .index_count = 36 }` */
export function commandAsCInitializer(structName: string, tree: readonly FieldNode[]): string {
  return `(${structName}){\n${initializers(tree, '    ').join(',\n')}\n}`;
}

function initializers(nodes: readonly FieldNode[], indent: string): string[] {
  const lines: string[] = [];
  for (const node of nodes) {
    // An anonymous member's fields are named directly, as C allows.
    if (node.path === '' && node.children) {
      lines.push(...initializers(node.children, indent));
      continue;
    }
    const designator = node.name.startsWith('[') ? node.name : `.${node.name}`;
    lines.push(`${indent}${designator} = ${initializer(node, indent)}`);
  }
  return lines;
}

function initializer(node: FieldNode, indent: string): string {
  if (node.children) {
    if (isCharArray(node)) return cString(node.children);
    const inner = initializers(node.children, `${indent}    `);
    return inner.length ? `{\n${inner.join(',\n')}\n${indent}}` : '{ 0 }';
  }
  if (node.label && /^[A-Za-z_]\w*$/.test(node.label)) return node.label;
  if (node.label && /^[A-Za-z_]\w*(\|[A-Za-z_]\w*)+$/.test(node.label)) return node.label.split('|').join(' | ');
  if (node.value === undefined) return '0';
  if (/float|double/.test(node.type)) return /[.eE]|Infinity|NaN/.test(node.value) ? floatLiteral(node) : `${node.value}.0${node.type.includes('float') ? 'f' : ''}`;
  if (node.size === 8 && node.hex) return `${node.hex}ull`;
  return node.value;
}

function floatLiteral(node: FieldNode): string {
  const value = node.value!;
  if (value === 'NaN') return 'NAN';
  if (value === 'Infinity') return 'INFINITY';
  if (value === '-Infinity') return '-INFINITY';
  return `${value}${node.type.includes('float') ? 'f' : ''}`;
}

function isCharArray(node: FieldNode): boolean {
  return /\bchar\b/.test(node.type) && node.children!.every((c) => c.value !== undefined);
}

/** A char array as a C string literal, stopping at its first NUL. */
function cString(elements: readonly FieldNode[]): string {
  let text = '';
  for (const element of elements) {
    const code = Number(element.value) & 0xff;
    if (code === 0) break;
    if (code === 0x22 || code === 0x5c) text += `\\${String.fromCharCode(code)}`;
    else if (code >= 0x20 && code < 0x7f) text += String.fromCharCode(code);
    else text += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return `"${text}"`;
}
