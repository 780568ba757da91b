import { createHash } from 'node:crypto';
import { analyzeHeader, type AnalyzeOptions, type HeaderAnalysis } from './headerAnalysis';

// Analyses are pure functions of the files they read and the options, so they are cached
// by a hash of exactly that. A hit costs re-reading and hashing the files the previous
// analysis read, nothing more; any edit to any of them (or to the options) is a miss.

interface Entry {
  readonly key: string;
  readonly analysis: HeaderAnalysis;
}

export class AnalysisCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 32) {}

  async analyze(file: string, options: AnalyzeOptions): Promise<{ analysis: HeaderAnalysis; hit: boolean }> {
    const slot = `${file}\0${options.abi}`;
    const previous = this.entries.get(slot);
    const previousFiles = previous?.analysis.files.length ? previous.analysis.files : [file];
    if (previous?.key === this.keyFor(previousFiles, options)) {
      // Most recently used last, so eviction drops the oldest.
      this.entries.delete(slot);
      this.entries.set(slot, previous);
      return { analysis: previous.analysis, hit: true };
    }
    const analysis = await analyzeHeader(file, options);
    this.entries.delete(slot);
    this.entries.set(slot, { key: this.keyFor(analysis.files.length ? analysis.files : [file], options), analysis });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return { analysis, hit: false };
  }

  clear(): void {
    this.entries.clear();
  }

  private keyFor(files: readonly string[], options: AnalyzeOptions): string {
    const hash = createHash('sha256');
    hash.update(JSON.stringify([options.abi, options.includeDirs ?? [], options.defines ?? {}]));
    for (const file of files) {
      let text: string | undefined;
      try {
        text = options.readFile(file);
      } catch {
        text = undefined;
      }
      hash.update(`\0${file}\0${text ?? '\u0000missing'}`);
    }
    return hash.digest('hex');
  }
}
