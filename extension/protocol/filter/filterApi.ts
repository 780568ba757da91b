// The contract between the filter language and whoever runs it. The decoder implements
// `FilterScope` (what names mean, once per profile) and `FilterRecord` (one decoded command);
// the language compiles text against a scope and matches records, and knows nothing else
// about rings, headers or traces.

/** A header field a filter can read, as the decoder describes it. Extend it with what `get` needs. */
export interface FieldRef {
  /**
   * How `FilterRecord.get` returns its value: `int` as number or bigint (an exact integer),
   * `float` as number, `bool` as boolean, `bytes` (char arrays) as Uint8Array.
   */
  readonly kind: 'int' | 'float' | 'bool' | 'bytes';
  /** For `int`: whether the C type is signed. An unsigned field compared with `-1` is an error (C would wrap, we do not). */
  readonly signed?: boolean;
  /** For `int`: width in bits, to suggest the wrapped value (`0xFFFFFFFF` for -1). */
  readonly bits?: number;
  /**
   * The symbol group the field's values come from (an enum's name, `opcode`): an ambiguous
   * symbol compared with this field resolves to the candidate of this group.
   */
  readonly group?: string;
}

/** A named integer constant: an enum constant, a macro, a flag, an opcode. */
export interface FilterSymbol {
  readonly name: string;
  readonly value: bigint;
  /** See `FieldRef.group`. Opcodes are in `OPCODE_GROUP`. */
  readonly group?: string;
}

export const OPCODE_GROUP = 'opcode';

/**
 * What the names in a filter mean, supplied by the decoder for a profile. Called only while
 * compiling, never while matching.
 */
export interface FilterScope<F extends FieldRef = FieldRef> {
  /**
   * The field at a path as the user wrote it, with array indexes normalised
   * (`hdr.size`, `viewports[3].width`, `index_count`); undefined when no command has it.
   */
  field(path: string): F | undefined;
  /**
   * Every constant an identifier may stand for: the constant of that exact name and those
   * it abbreviates (`DRAW_INDEXED` for `PVGPU_CMD_DRAW_INDEXED`). `SymbolTable` does this.
   * Candidates of one value are one meaning; several values are ambiguous unless an exact
   * name or the field's `group` decides.
   */
  symbols(name: string): readonly FilterSymbol[];
  /** Every opcode with the name the viewer shows for it (`opcodeName`), for `name ~ "Draw"`. */
  opcodes(): readonly FilterSymbol[];
  /** Names worth suggesting for a misspelt identifier: field paths and symbol names. */
  names(): Iterable<string>;
}

export type FilterValue = bigint | number | boolean | Uint8Array | undefined;

/** One decoded command, as the filter sees it. */
export interface FilterRecord<F extends FieldRef = FieldRef> {
  /** The field's value on this command, undefined when this command has no such field. */
  get(field: F): FilterValue;
  readonly opcode: number | bigint;
  /** Bytes of the command in the ring, as its header says. */
  readonly size: number | bigint;
  /** Byte offset of the command (in the ring, or the capture). */
  readonly offset: number | bigint;
  /** Position of the command in the trace, from 0. */
  readonly seq: number | bigint;
  /** Nanoseconds, on the trace's clock. */
  readonly time: number | bigint;
  /** The command could not be decoded (bad opcode, size beyond the ring, ...). */
  readonly error: boolean;
  /** The decoder lost sync before this command and found its way back here. */
  readonly recovered: boolean;
}

/** A problem in the filter text; `start`/`end` are character offsets into it, end exclusive. */
export interface FilterError {
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

export interface CompiledFilter<F extends FieldRef = FieldRef> {
  matches(record: FilterRecord<F>): boolean;
  /** The header field paths the filter reads, in order of first use (pseudo-fields excluded). */
  readonly fieldsUsed: readonly string[];
  /** Legal but likely not what was meant (a pseudo-field hiding a header field of the same name). */
  readonly warnings: readonly FilterError[];
  /** How `matches` runs: generated JavaScript, or closures where code generation is not allowed (a webview's CSP). */
  readonly backend: 'generated' | 'closures';
}
