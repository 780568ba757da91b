import { readFile } from 'node:fs/promises';
import { ABIS } from '../protocol/abi';
import { formatDiagnostic } from '../protocol/diagnostics';
import type { HeaderAnalysis } from '../protocol/headerAnalysis';
import { diffRustMirror, formatMirrorDifference, type MirrorMatch } from '../protocol/rust/mirrorDiff';
import { layOutRust } from '../protocol/rust/rustLayout';
import { readRustSource } from '../protocol/rust/rustSource';

// `gpupv layout --diff-rust mirror.rs header.h`: whether a host's Rust mirror of the header
// still matches it on one ABI. Exit 0 when it does, 1 on any difference, 2 when the mirror
// cannot be read.

export async function printRustMirrorDiff(analysis: HeaderAnalysis, file: string, json: boolean, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    err(`gpupv: cannot read the Rust mirror ${file}: ${(error as Error).message}`);
    return 2;
  }
  const source = await readRustSource(file, text);
  const layouts = layOutRust(source, ABIS[analysis.abi]);
  for (const d of [...source.diagnostics, ...layouts.diagnostics]) err(formatDiagnostic(d));
  const report = diffRustMirror(analysis, source, layouts);
  if (json) {
    out(JSON.stringify({ abi: analysis.abi, header: analysis.files[0], mirror: file, ...report }, null, 2));
  } else {
    // How names were paired, a line per way for structs, enums and constants; each field that was not paired by its name.
    const ways = new Map<string, MirrorMatch[]>();
    for (const match of report.matches) {
      if (match.how === 'the same name') continue;
      // Fields group by their record: a struct's anonymous union pairs all its fields one way.
      const kind = match.kind === 'field' ? `field of ${match.header.split('.')[0]!}` : match.kind;
      ways.set(`${kind}|${match.how}`, [...(ways.get(`${kind}|${match.how}`) ?? []), match]);
    }
    for (const [key, matches] of ways) {
      const [kind, how] = key.split('|') as [string, string];
      if (matches.length === 1) {
        out(`matched ${matches[0]!.header} with ${matches[0]!.rust}: ${how}`);
        continue;
      }
      const examples = matches.slice(0, 2).map((m) => `${m.header} = ${m.rust}`).join(', ');
      const noun = kind.startsWith('field of ') ? `fields of ${kind.slice('field of '.length)}` : `${kind}s`;
      out(`matched ${matches.length} ${noun}: ${how} (${examples}${matches.length > 2 ? ', \u2026' : ''})`);
    }
    for (const difference of report.differences) out(formatMirrorDifference(difference));
    const structs = report.matches.filter((m) => m.kind === 'struct').length;
    const constants = report.matches.filter((m) => m.kind === 'constant' || m.kind === 'variant').length;
    out(report.differences.length === 0 ? `${structs} structs and ${constants} constants match the header on ${analysis.abi}` : `${report.differences.length} differences between the mirror and the header on ${analysis.abi} (${structs} structs and ${constants} constants matched)`);
  }
  return report.differences.length ? 1 : 0;
}
