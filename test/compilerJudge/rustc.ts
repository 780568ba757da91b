import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

// rustc as the judge of Rust layouts: a file of `const _: () = assert!(...)` items compiles
// only when every one holds. Found on PATH or where rustup puts it; offset_of! needs Rust 1.77.

function findRustc(): string {
  for (const candidate of [process.env.RUSTC, 'rustc', join(homedir(), '.cargo', 'bin', 'rustc')]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  throw new Error('rustc is not installed (install Rust 1.77 or later with rustup, or set RUSTC); the Rust mirror tests need it to judge layouts');
}

/** Type-checks `source` as a library crate; the compiler's errors, or [] when it compiles. */
export function rustcErrors(source: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'gpupv-rustc-'));
  try {
    const file = join(dir, 'mirror.rs');
    writeFileSync(file, source);
    const run = spawnSync(findRustc(), ['--edition', '2021', '--crate-type', 'lib', '--emit', 'metadata', '-A', 'warnings', '--error-format', 'short', '-o', join(dir, 'mirror.rmeta'), file], { encoding: 'utf8', timeout: 120_000 });
    if (run.error) throw run.error;
    if (run.status === 0 && existsSync(join(dir, 'mirror.rmeta'))) return [];
    return run.stderr.split('\n').filter((line) => line.includes('error'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
