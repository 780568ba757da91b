import type { EnumInfo, HeaderAnalysis } from '../../headerAnalysis';
import type { LeafField } from '../../layout/flatten';
import { resolveTypedefs } from '../../model/types';
import { resolveCommandProfile, type CommandProfile, type CommandProfileConfig, type ProfileDiagnostic } from '../commandProfile';
import { commentText, compareScores, plural, type Confidence, type Explain } from './names';

// Which constants the opcode field takes: every enum and every macro family (a shared
// prefix such as `PVGPU_CMD_`) is tried as the profile's opcodes, and the one whose names
// lead to the most payload structs wins, unless the field's type or comment names it.

export interface OpcodeChoice {
  readonly config: CommandProfileConfig;
  readonly profile: CommandProfile;
  readonly diagnostics: readonly ProfileDiagnostic[];
}

interface FamilyCandidate {
  readonly opcodes: CommandProfileConfig['opcodes'];
  readonly label: string;
  /** Why the header itself points at this family, when it does. */
  readonly hint?: string;
}

interface ScoredFamily extends FamilyCandidate, OpcodeChoice {
  readonly score: readonly number[];
  readonly matched: number;
  readonly convention: number;
}

export function chooseOpcodeFamily(analysis: HeaderAnalysis, base: Omit<CommandProfileConfig, 'opcodes'>, opcodeField: LeafField, explain: Explain): OpcodeChoice | undefined {
  const scored = familyCandidates(analysis, opcodeField)
    .map((candidate) => scoreFamily(analysis, base, candidate))
    .filter((s) => s !== undefined)
    .sort((a, b) => compareScores(b.score, a.score));
  const best = scored[0];
  if (!best) {
    explain('protocol.command.opcodes', 'not inferred: no enum and no family of 3 or more macros with a common prefix; name them in protocol.command.opcodes', 'sure');
    return undefined;
  }
  const rival = scored.find((s) => s !== best && s.matched > 0);
  const total = best.profile.opcodes.size;
  const evidence = [`${plural(total, 'constant')}, ${best.matched} with a payload struct (${best.convention} by name${best.matched > best.convention ? `, ${best.matched - best.convention} near` : ''})`];
  if (best.hint) evidence.push(best.hint);
  if (rival) evidence.push(`next best ${rival.label} with ${rival.matched}`);
  explain('protocol.command.opcodes', `${best.label} — ${evidence.join('; ')}`, familyConfidence(best, rival));
  return { config: best.config, profile: best.profile, diagnostics: best.diagnostics };
}

function familyConfidence(best: ScoredFamily, rival: ScoredFamily | undefined): Confidence {
  if (best.hint && best.matched > 0) return 'sure';
  if (best.matched >= 3 && (!rival || rival.matched < best.matched)) return best.hint || !rival || rival.matched * 2 <= best.matched ? 'sure' : 'likely';
  return 'guess';
}

function scoreFamily(analysis: HeaderAnalysis, base: Omit<CommandProfileConfig, 'opcodes'>, candidate: FamilyCandidate): ScoredFamily | undefined {
  const config: CommandProfileConfig = { ...base, opcodes: candidate.opcodes };
  const { profile, diagnostics } = resolveCommandProfile(analysis, config);
  if (!profile || profile.opcodes.size === 0) return undefined;
  const opcodes = [...profile.opcodes.values()];
  const matched = opcodes.filter((o) => o.match !== 'none').length;
  const convention = opcodes.filter((o) => o.match === 'convention').length;
  const score = [Number(candidate.hint !== undefined), matched, convention, -(opcodes.length - matched)];
  return { ...candidate, config, profile, diagnostics, score, matched, convention };
}

function familyCandidates(analysis: HeaderAnalysis, opcodeField: LeafField): FamilyCandidate[] {
  const type = resolveTypedefs(opcodeField.resolved);
  const typed = type.kind === 'enum' ? analysis.enums.find((e) => e.decl === type.decl) : undefined;
  if (typed) return [{ opcodes: { enum: enumConfigName(typed) }, label: typed.name, hint: `the type of ${opcodeField.path}` }];
  const comment = commentText(opcodeField);
  const named = /\b([A-Z][A-Z0-9_]*_)\*/.exec(comment)?.[1];
  const enums = analysis.enums
    .filter((e) => e.values.size >= 3)
    .map((e): FamilyCandidate => {
      const mentioned = [e.decl.tag, ...e.decl.typedefNames].some((n) => n !== undefined && new RegExp(`\\b${n}\\b`).test(comment));
      return { opcodes: { enum: enumConfigName(e) }, label: e.name, ...(mentioned ? { hint: `named in the comment on ${opcodeField.path}` } : {}) };
    });
  const macros = macroPrefixes(analysis.constants).map(
    (prefix): FamilyCandidate => ({ opcodes: { macroPrefix: prefix }, label: `macroPrefix ${prefix}`, ...(prefix === named ? { hint: `the comment on ${opcodeField.path} names ${prefix}*` } : {}) }),
  );
  return [...enums, ...macros];
}

/** The tag or typedef name gpupv.json uses for an enum (`virtio_gpu_ctrl_type`). */
function enumConfigName(e: EnumInfo): string {
  return e.decl.typedefNames[0] ?? e.decl.tag ?? e.name;
}

/** Every prefix ending in `_` that 3 or more integer macros share: `PVGPU_`, `PVGPU_CMD_`, `PVGPU_CMD_FLAG_`. */
function macroPrefixes(constants: ReadonlyMap<string, bigint | string>): string[] {
  const counts = new Map<string, number>();
  for (const [name, value] of constants) {
    if (typeof value !== 'bigint' || value < 0n) continue;
    for (let at = name.indexOf('_'); at > 0 && at < name.length - 1; at = name.indexOf('_', at + 1)) {
      const prefix = name.slice(0, at + 1);
      counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    }
  }
  return [...counts].filter(([, count]) => count >= 3).map(([prefix]) => prefix);
}
