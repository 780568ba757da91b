import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

// VS Code's own keybindings as chords, to check that ours is none of them, on the platform the
// tests run on (its default keybindings file) and on macOS, which no machine here runs: there
// the running VS Code's own sources say what it binds. Chords are compared normalized
// (modifiers sorted), since VS Code writes `ctrl+shift+alt+d` for what we write `ctrl+alt+shift+d`.

/** `ctrl+alt+shift+d` → `alt+ctrl+shift+d`; each part of a two-part chord alike. */
export function normalizeChord(chord: string): string {
  return chord
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .map((part) => {
      const keys = part.split('+');
      const key = keys.pop()!;
      return [...keys.sort(), key].join('+');
    })
    .join(' ');
}

/**
 * Every chord a keybindings file binds, and the first part of each two-part chord (pressing it
 * starts that chord), except those of `ownCommand` commands: the default file lists every
 * installed extension's, ours included.
 */
export function chordsOfKeybindingsFile(text: string, ownCommand: (command: string) => boolean): Set<string> {
  const chords = new Set<string>();
  for (const match of text.matchAll(/"key":\s*"([^"]+)",\s*"command":\s*"([^"]+)"/g)) {
    if (ownCommand(match[2]!.replace(/^-/, ''))) continue;
    const chord = normalizeChord(match[1]!);
    chords.add(chord);
    chords.add(chord.split(' ')[0]!);
  }
  return chords;
}

// VS Code's keybinding numbers (src/vs/base/common/keyCodes.ts): KeyMod in bits 8-11, the
// KeyCode below; on macOS CtrlCmd is Cmd and WinCtrl is Ctrl.
const MAC_MODIFIERS: Readonly<Record<string, number>> = { cmd: 2048, shift: 1024, alt: 512, ctrl: 256 };
const KEY_A = 31;
const DIGIT_0 = 21;

/** A one-part macOS chord as VS Code's sources write it, e.g. `cmd+alt+shift+d` → 3618. */
export function macKeybindingNumber(chord: string): number {
  const keys = chord.toLowerCase().split('+');
  const key = keys.pop()!;
  let value = /^[a-z]$/.test(key) ? KEY_A + key.charCodeAt(0) - 97 : /^[0-9]$/.test(key) ? DIGIT_0 + Number(key) : NaN;
  if (Number.isNaN(value)) throw new Error(`${chord}: only letters and digits are encoded here`);
  for (const modifier of keys) {
    const bit = MAC_MODIFIERS[modifier];
    if (bit === undefined) throw new Error(`${chord}: ${modifier} is not a macOS modifier`);
    value |= bit;
  }
  return value;
}

export interface SourceKeybindings {
  /** Every literal keybinding number of a rule (primary, secondary, and the mac/linux/win variants), and the parts of chords. */
  readonly numbers: Set<number>;
  /** Modifiers of rules made in a loop (`2048|e`: Cmd with each digit, say). */
  readonly modifierOnly: Set<number>;
}

/**
 * The keybindings VS Code's workbench registers in code, read from its bundle: every number in
 * the value of each `primary:` and `secondary:[…]` (literals, the parts of `KeyChord(a,b)`
 * calls, either side of a platform condition such as `isWeb?void 0:3118`), and `N|variable`
 * as modifiers only. All platforms' variants together: a superset of what macOS binds.
 */
export function workbenchKeybindings(bundle: string): SourceKeybindings {
  const numbers = new Set<number>();
  const modifierOnly = new Set<number>();
  for (const match of bundle.matchAll(/(?:primary|secondary):/g)) {
    const value = expressionAt(bundle, match.index + match[0].length);
    for (const loop of value.matchAll(/\b(\d+)\|[A-Za-z_$]/g)) modifierOnly.add(Number(loop[1]));
    for (const literal of value.replace(/\b\d+\|[A-Za-z_$][\w$]*/g, '').matchAll(/\b\d+\b/g)) numbers.add(Number(literal[0]));
  }
  return { numbers, modifierOnly };
}

/** The expression starting at `start`, up to the `,` or `}` that ends it (brackets and parentheses nest). */
function expressionAt(text: string, start: number): string {
  let depth = 0;
  for (let i = start; i < text.length && i < start + 400; i++) {
    const c = text[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return text.slice(start, i);
      depth--;
    } else if (c === ',' && depth === 0) return text.slice(start, i);
  }
  return text.slice(start, start + 400);
}

/** The macOS chords (`mac`, else `key`) the built-in extensions of a VS Code install contribute, with first parts. */
export function builtInExtensionMacChords(extensionsDir: string): Set<string> {
  const chords = new Set<string>();
  for (const name of readdirSync(extensionsDir)) {
    let manifest: { contributes?: { keybindings?: { key?: string; mac?: string }[] | { key?: string; mac?: string } } };
    try {
      manifest = JSON.parse(readFileSync(path.join(extensionsDir, name, 'package.json'), 'utf8')) as typeof manifest;
    } catch {
      continue;
    }
    const bindings = manifest.contributes?.keybindings;
    for (const binding of Array.isArray(bindings) ? bindings : bindings ? [bindings] : []) {
      const chord = binding.mac ?? binding.key;
      if (!chord) continue;
      const normal = normalizeChord(chord);
      chords.add(normal);
      chords.add(normal.split(' ')[0]!);
    }
  }
  return chords;
}
