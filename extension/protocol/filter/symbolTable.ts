import type { FilterSymbol } from './filterApi';

// The symbol half of a FilterScope, so every decoder abbreviates names the same way: a
// constant is found by its full name and without any family prefix it has, a family being
// a prefix up to an `_` that at least two constants share. `PVGPU_CMD_FLAG_SYNC` is also
// `CMD_FLAG_SYNC`, `FLAG_SYNC` and `SYNC`; `DXGI_FORMAT_R8G8B8A8_UNORM` is also
// `R8G8B8A8_UNORM`; `PVGPU_CMD_WAIT_FENCE` is not `FENCE` (no other PVGPU_CMD_WAIT_
// constant), so `FENCE` is PVGPU_CMD_FENCE alone. No prefix list to configure. A short name
// that two families share (`READ`: PVGPU_MAP_READ, PVGPU_CPU_ACCESS_READ) stays ambiguous
// unless the field it is compared with names its group.

const MIN_FAMILY = 2;

export class SymbolTable {
  private readonly byName = new Map<string, FilterSymbol[]>();

  constructor(symbols: Iterable<FilterSymbol>) {
    const all = [...symbols];
    const families = new Map<string, number>();
    for (const name of new Set(all.map((s) => s.name))) {
      for (const at of underscores(name)) families.set(name.slice(0, at + 1), (families.get(name.slice(0, at + 1)) ?? 0) + 1);
    }
    for (const symbol of all) {
      this.add(symbol.name, symbol);
      for (const at of underscores(symbol.name)) {
        const tail = symbol.name.slice(at + 1);
        // A short name must still be an identifier someone would type: not starting with a digit.
        if ((families.get(symbol.name.slice(0, at + 1)) ?? 0) >= MIN_FAMILY && /^[A-Za-z]/.test(tail)) this.add(tail, symbol);
      }
    }
  }

  /** For `FilterScope.symbols`. */
  lookup(name: string): readonly FilterSymbol[] {
    return this.byName.get(name) ?? [];
  }

  /** For `FilterScope.names`: full names and short names. */
  names(): Iterable<string> {
    return this.byName.keys();
  }

  private add(key: string, symbol: FilterSymbol): void {
    const list = this.byName.get(key);
    if (!list) this.byName.set(key, [symbol]);
    else if (!list.includes(symbol)) list.push(symbol);
  }
}

/** Positions of the `_`s inside a name (not a leading or trailing one). */
function* underscores(name: string): Iterable<number> {
  for (let at = name.indexOf('_', 1); at >= 0 && at < name.length - 1; at = name.indexOf('_', at + 1)) yield at;
}
