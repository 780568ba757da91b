import { ABIS, type AbiName } from './abi';
import { formatLocation, HeaderError, type HeaderDiagnostic, type SourceLocation } from './diagnostics';
import { flattenRecord, type LeafField } from './layout/flatten';
import { LayoutEngine, type RecordLayout } from './layout/recordLayout';
import type { EnumDecl, RecordDecl } from './model/types';
import { loadCParser } from './parse/cParser';
import { DeclarationReader, type Declarations, type StaticAssertion } from './parse/declarationReader';
import { SourceMap } from './parse/sourceMap';
import { EXPANSION_BUDGET, expandMacros } from './preprocessor/macros';
import { preprocess, type PreprocessorOptions } from './preprocessor/preprocessor';

// The protocol engine's front door: one header (and what it includes), one ABI, every
// record laid out. Pure: files come in through `readFile`, nothing touches `vscode`.

export interface AnalyzeOptions {
  readonly abi: AbiName;
  readonly includeDirs?: readonly string[];
  readonly defines?: Readonly<Record<string, string | undefined>>;
  readonly readFile: PreprocessorOptions['readFile'];
  readonly maxSourceBytes?: number;
}

export interface RecordInfo {
  /** The typedef name if it has one, else `struct tag`. */
  readonly name: string;
  readonly tag: string | undefined;
  readonly typedefNames: readonly string[];
  readonly kind: 'struct' | 'union';
  readonly size: number;
  readonly align: number;
  readonly location: SourceLocation;
  readonly layout: RecordLayout;
  readonly fields: readonly LeafField[];
  readonly decl: RecordDecl;
}

export interface EnumInfo {
  readonly name: string;
  readonly values: ReadonlyMap<string, bigint>;
  readonly location: SourceLocation;
  readonly decl: EnumDecl;
}

export interface HeaderAnalysis {
  readonly abi: AbiName;
  readonly records: readonly RecordInfo[];
  readonly enums: readonly EnumInfo[];
  /** Object-like macros with an integer or string value. */
  readonly constants: ReadonlyMap<string, bigint | string>;
  /** The C type of each integer constant (`1ull << 63` is 64 bits unsigned), by its width and signedness. */
  readonly constantTypes: ReadonlyMap<string, { readonly bits: number; readonly unsigned: boolean }>;
  /** Where each of `constants` is defined (go to definition of an opcode, say). */
  readonly constantLocations: ReadonlyMap<string, SourceLocation>;
  readonly staticAssertions: readonly StaticAssertion[];
  readonly diagnostics: readonly HeaderDiagnostic[];
  /** Every file read, the header first. */
  readonly files: readonly string[];
  readonly declarations: Declarations;
  readonly layoutEngine: LayoutEngine;
}

export async function analyzeHeader(file: string, options: AnalyzeOptions): Promise<HeaderAnalysis> {
  const abi = ABIS[options.abi];
  const pre = safePreprocess(file, options);
  const diagnostics = pre.diagnostics;
  const parser = await loadCParser();
  const tree = parser.parse(pre.text);
  const layoutEngine = new LayoutEngine(abi);
  const reader = new DeclarationReader(abi, layoutEngine, new SourceMap(pre.lines), pre.packChanges, diagnostics);
  let declarations: Declarations = reader.declarations;
  try {
    if (tree) declarations = reader.read(tree.rootNode);
  } finally {
    tree?.delete();
  }

  const records: RecordInfo[] = [];
  for (const decl of declarations.records) {
    const name = decl.displayName;
    if (!name || decl.location.file === '<built-in>') continue;
    try {
      const layout = layoutEngine.layoutOf(decl);
      records.push({
        name,
        tag: decl.tag,
        typedefNames: decl.typedefNames,
        kind: decl.kind,
        size: layout.size,
        align: layout.align,
        location: decl.location,
        layout,
        fields: flattenRecord(layout, layoutEngine),
        decl,
      });
    } catch (error) {
      if (!(error instanceof HeaderError)) throw error;
      diagnostics.error(`${name}: ${error.message}${sameLocation(error.location, decl.location) ? '' : ` (at ${formatLocation(error.location)})`}`, decl.location);
    }
  }

  const enums: EnumInfo[] = declarations.enums
    .filter((e) => e.displayName !== undefined)
    .map((e) => ({ name: e.displayName!, values: new Map((e.constants ?? []).map((c) => [c.name, c.value])), location: e.location, decl: e }));

  const constants = new Map<string, bigint | string>();
  const constantLocations = new Map<string, SourceLocation>();
  const constantTypes = new Map<string, { bits: number; unsigned: boolean }>();
  // Evaluating macros as constants gets a budget of its own, whatever the text used up.
  pre.macros.budget = EXPANSION_BUDGET;
  for (const macro of pre.macros.all()) {
    if (macro.predefined || macro.parameters !== undefined || macro.body.length === 0) continue;
    try {
      // The macro's name expanded, not its body: a body that names the macro itself
      // (`#define X_MAX (X_MAX - 1)` over an enum's X_MAX) then reads the enum, as C does.
      const expanded = expandMacros([{ kind: 'identifier', text: macro.name, location: macro.location, spaceBefore: false }], pre.macros);
      if (expanded.length === 1 && expanded[0]!.kind === 'string') {
        constants.set(macro.name, JSON.parse(expanded[0]!.text) as string);
      } else {
        const value = reader.constants.evaluate(expanded, macro.location);
        constants.set(macro.name, value.value);
        constantTypes.set(macro.name, { bits: value.bits, unsigned: value.unsigned });
      }
      constantLocations.set(macro.name, macro.location);
    } catch {
      // Not an integer constant (a type, an attribute, a statement): not a constant then.
    }
  }

  return {
    abi: options.abi,
    records,
    enums,
    constants,
    constantTypes,
    constantLocations,
    staticAssertions: declarations.staticAssertions,
    diagnostics: diagnostics.items,
    files: pre.files,
    declarations,
    layoutEngine,
  };
}

function safePreprocess(file: string, options: AnalyzeOptions): ReturnType<typeof preprocess> {
  return preprocess(file, {
    abi: ABIS[options.abi],
    includeDirs: options.includeDirs ?? [],
    defines: options.defines ?? {},
    readFile: options.readFile,
    ...(options.maxSourceBytes ? { maxSourceBytes: options.maxSourceBytes } : {}),
  });
}

function sameLocation(a: SourceLocation, b: SourceLocation): boolean {
  return a.file === b.file && a.line === b.line;
}
