import type { SourceLocation } from '../diagnostics';
import type { OutputLine } from '../preprocessor/preprocessor';

/** Maps a position in the preprocessed text (0-based row and column) back to the user's file. */
export class SourceMap {
  constructor(private readonly lines: readonly OutputLine[]) {}

  locate(row: number, column: number): SourceLocation {
    const line = this.lines[Math.min(row, this.lines.length - 1)];
    if (!line) return { file: '<input>', line: 1, column: 1 };
    let sourceColumn = column + 1;
    // The last anchor at or before the column; positions inside an expansion map to the macro name.
    let best: readonly [number, number] | undefined;
    for (const anchor of line.anchors) {
      if (anchor[0] > column + 1) break;
      best = anchor;
    }
    if (best) sourceColumn = best[1] + (column + 1 - best[0] >= 0 && best[0] === best[1] ? column + 1 - best[0] : 0);
    return { file: line.file, line: line.line, column: sourceColumn };
  }
}
