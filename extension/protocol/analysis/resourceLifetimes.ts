import type { FieldReader } from '../decode/fieldReader';
import type { ResourceKind, ResourceProfile } from '../profile/resourceProfile';
import { RowKind } from '../trace/traceIndex';
import type { TraceSource } from '../trace/traceSource';

// Resource lifetimes over a trace: every create, destroy and use of an id of each kind the
// profile names (profile/resourceProfile.ts), read straight from the command bytes, one
// map of ids per kind. Finds uses after destroy, double destroys, creates of an id still
// alive and, once the trace is complete, objects never destroyed, each with the rows
// involved. Captures usually start late, so an id first seen used or destroyed is of
// unknown origin (created before the trace began), tracked from there on, never an error.
//
// Incremental: `update()` reads the rows appended since the last call. Rows a live window
// dropped before they were read leave a gap; what was known of every id is forgotten then
// (their ids become of unknown origin), so a gap never makes a problem up.

export type LifetimeProblemKind = 'useAfterDestroy' | 'doubleDestroy' | 'recreated' | 'neverDestroyed';

export const LIFETIME_PROBLEM_KINDS: readonly LifetimeProblemKind[] = ['useAfterDestroy', 'doubleDestroy', 'recreated', 'neverDestroyed'];

export interface LifetimeRow {
  readonly seq: number;
  readonly opcode: number;
  readonly role: 'created' | 'destroyed' | 'used';
  /** The field the id was read from: `view_id`, `rtv_ids[2]`. */
  readonly field: string;
}

export interface LifetimeProblem {
  readonly kind: LifetimeProblemKind;
  readonly resourceKind: string;
  readonly id: number | bigint;
  /**
   * The rows involved, in trace order: the destroy and the first use after it; both
   * destroys; both creates; the create of what was never destroyed.
   */
  readonly rows: readonly LifetimeRow[];
  /** Uses after destroy: how many uses followed the destroy before the id was created again. */
  readonly uses?: number;
}

export interface KindLifetimes {
  readonly name: string;
  readonly created: number;
  readonly destroyed: number;
  readonly used: number;
  /** Created in the trace and not destroyed (yet). */
  readonly alive: number;
  /** Ids first seen used or destroyed, with the row each was first seen at (the first few). */
  readonly unknownOrigin: { readonly count: number; readonly first: readonly { readonly id: number | bigint; readonly row: LifetimeRow }[] };
  readonly problems: Readonly<Record<LifetimeProblemKind, number>>;
}

export interface LifetimeReport {
  readonly origin: ResourceProfile['origin'];
  readonly kinds: readonly KindLifetimes[];
  /** In the order found (objects never destroyed last, and only once the trace is complete); at most `kept`. */
  readonly problems: readonly LifetimeProblem[];
  /** Every problem found, those beyond the kept ones included. */
  readonly problemCount: number;
  /** Rows a live window dropped before they were read. */
  readonly unread: number;
  /** What to keep in mind reading the problems: ids of unknown origin, rows not read. */
  readonly notes: readonly string[];
}

export interface LifetimeOptions {
  /** Problems kept with their rows (default 10,000); further ones are counted. */
  readonly kept?: number;
  /** Ids of unknown origin listed per kind (default 10). */
  readonly listed?: number;
}

const Role = { use: 0, destroy: 1, create: 2 } as const;
type Role = (typeof Role)[keyof typeof Role];

interface IdRead {
  readonly kind: number;
  readonly role: Role;
  readonly readers: readonly (FieldReader | undefined)[];
  readonly paths: readonly string[];
  readonly count: FieldReader | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

class IdLife {
  alive = true;
  created: LifetimeRow | undefined;
  destroyed: LifetimeRow | undefined;
  /** The use-after-destroy problem open since the last destroy, counting further uses. */
  afterDestroy: Mutable<LifetimeProblem> | undefined;
}

/** Ids below this are looked up in an array (drivers hand out small ids), others in a map. */
const SMALL_IDS = 65536;

class KindState {
  private small: (IdLife | undefined)[] = [];
  private large = new Map<number | bigint, IdLife>();
  created = 0;
  destroyed = 0;
  used = 0;
  unknownOrigin = 0;
  readonly firstUnknown: { id: number | bigint; row: LifetimeRow }[] = [];
  readonly problems: Record<LifetimeProblemKind, number> = { useAfterDestroy: 0, doubleDestroy: 0, recreated: 0, neverDestroyed: 0 };

  constructor(readonly kind: ResourceKind) {}

  get(id: number | bigint): IdLife | undefined {
    return typeof id === 'number' && id < SMALL_IDS ? this.small[id] : this.large.get(id);
  }

  set(id: number | bigint, life: IdLife): void {
    if (typeof id !== 'number' || id >= SMALL_IDS) {
      this.large.set(id, life);
      return;
    }
    // Grown element by element so the array stays dense (a sparse one is a slow dictionary).
    const small = this.small;
    if (id >= small.length) {
      const length = Math.min(SMALL_IDS, Math.max(id + 1, small.length * 2, 64));
      while (small.length < length) small.push(undefined);
    }
    small[id] = life;
  }

  *lives(): Generator<[number | bigint, IdLife]> {
    for (let id = 0; id < this.small.length; id++) if (this.small[id]) yield [id, this.small[id]!];
    yield* this.large;
  }

  forget(): void {
    this.small = [];
    this.large = new Map();
  }
}

const NOTHING: readonly IdRead[] = [];

export class ResourceLifetimes {
  private readonly kinds: KindState[];
  private readonly invalid: readonly (number | bigint)[];
  /** Per opcode id of the index, what its commands create, destroy and use; undefined until first needed. */
  private plans: (readonly IdRead[] | undefined)[] = [];
  private next: number | undefined;
  private unread = 0;
  private readonly problems: LifetimeProblem[] = [];
  private problemCount = 0;
  private readonly kept: number;
  private readonly listed: number;

  constructor(
    private readonly source: TraceSource,
    private readonly profile: ResourceProfile,
    options: LifetimeOptions = {},
  ) {
    this.kinds = profile.kinds.map((kind) => new KindState(kind));
    this.invalid = profile.invalidIds.map((value) => normalId(value)!);
    this.kept = options.kept ?? 10_000;
    this.listed = options.listed ?? 10;
  }

  /** Rows before this seq have been read. */
  get neededFrom(): number {
    return this.next ?? this.source.index.firstSeq;
  }

  /** Reads the rows appended since the last call. */
  update(): void {
    const index = this.source.index;
    this.next ??= index.firstSeq;
    if (this.next < index.firstSeq) {
      this.unread += index.firstSeq - this.next;
      for (const kind of this.kinds) kind.forget();
      this.next = index.firstSeq;
    }
    const end = index.endSeq;
    this.source.visitRows(this.next, end, (seq, row, view, at, size) => {
      if (index.kindAt(row) !== RowKind.command) return;
      const plan = this.planOf(index.opcodeIdAt(row));
      if (plan.length === 0) return;
      const stop = at + size;
      const opcode = index.opcodeAt(row);
      for (const read of plan) {
        const kind = this.kinds[read.kind]!;
        let n = read.readers.length;
        if (read.count) n = Math.min(n, Number(countOf(read.count(view, at, stop))));
        for (let i = 0; i < n; i++) {
          const value = read.readers[i]?.(view, at, stop);
          const id = typeof value === 'number' ? value : normalId(value);
          if (id === undefined || this.invalid.includes(id)) continue;
          if (read.role === Role.use) {
            // Most reads are uses of a live object: counted, nothing else.
            const life = kind.get(id);
            if (life?.alive) {
              kind.used++;
              continue;
            }
          }
          this.event(kind, read, i, id, seq, opcode);
        }
      }
    });
    this.next = end;
  }

  report(): LifetimeReport {
    const problems = [...this.problems];
    let problemCount = this.problemCount;
    const neverDestroyed = new Map<KindState, number>();
    if (this.source.complete) {
      for (const kind of this.kinds) {
        let count = 0;
        for (const [id, life] of kind.lives()) {
          if (!life.alive || !life.created) continue;
          count++;
          problemCount++;
          if (problems.length < this.kept) problems.push({ kind: 'neverDestroyed', resourceKind: kind.kind.name, id, rows: [life.created] });
        }
        neverDestroyed.set(kind, count);
      }
    }
    const kinds = this.kinds.map((kind): KindLifetimes => {
      let alive = 0;
      for (const [, life] of kind.lives()) if (life.alive && life.created) alive++;
      return {
        name: kind.kind.name,
        created: kind.created,
        destroyed: kind.destroyed,
        used: kind.used,
        alive,
        unknownOrigin: { count: kind.unknownOrigin, first: [...kind.firstUnknown] },
        problems: { ...kind.problems, neverDestroyed: neverDestroyed.get(kind) ?? 0 },
      };
    });
    const notes: string[] = [];
    const unknown = kinds.reduce((n, k) => n + k.unknownOrigin.count, 0);
    if (unknown > 0) notes.push(`${unknown === 1 ? '1 id was' : `${unknown} ids were`} used or destroyed with no create before ${unknown === 1 ? 'it' : 'them'} in the trace: created before the trace began (captures often start late), so tracked from their first appearance, not reported`);
    if (this.unread > 0) notes.push(`${this.unread} rows were dropped from the live window before they were read; what was known of every id before them was forgotten`);
    if (this.profile.origin === 'header') notes.push('the resource kinds are inferred from the header: confirm them in gpupv.json (gpupv profile init proposes protocol.resources)');
    return { origin: this.profile.origin, kinds, problems, problemCount, unread: this.unread, notes };
  }

  private event(kind: KindState, read: IdRead, element: number, id: number | bigint, seq: number, opcode: number): void {
    const life = kind.get(id);
    const field = read.paths[element]!;
    switch (read.role) {
      case Role.use: {
        kind.used++;
        if (!life) this.unknown(kind, id, { seq, opcode, role: 'used', field });
        else if (life.afterDestroy) life.afterDestroy.uses!++;
        else if (!life.alive) life.afterDestroy = this.found(kind, 'useAfterDestroy', id, [life.destroyed!, { seq, opcode, role: 'used', field }]);
        return;
      }
      case Role.destroy: {
        kind.destroyed++;
        const destroyed: LifetimeRow = { seq, opcode, role: 'destroyed', field };
        const next = life ?? this.unknown(kind, id, destroyed);
        if (life && !life.alive) this.found(kind, 'doubleDestroy', id, [life.destroyed!, destroyed]);
        next.alive = false;
        next.destroyed = destroyed;
        next.afterDestroy = undefined;
        return;
      }
      case Role.create: {
        kind.created++;
        const created: LifetimeRow = { seq, opcode, role: 'created', field };
        if (life?.alive && life.created) this.found(kind, 'recreated', id, [life.created, created]);
        const next = life ?? new IdLife();
        if (!life) kind.set(id, next);
        next.alive = true;
        next.created = created;
        next.destroyed = undefined;
        next.afterDestroy = undefined;
        return;
      }
    }
  }

  private unknown(kind: KindState, id: number | bigint, row: LifetimeRow): IdLife {
    kind.unknownOrigin++;
    if (kind.firstUnknown.length < this.listed) kind.firstUnknown.push({ id, row });
    const life = new IdLife();
    kind.set(id, life);
    return life;
  }

  private found(kind: KindState, problemKind: LifetimeProblemKind, id: number | bigint, rows: LifetimeRow[]): Mutable<LifetimeProblem> {
    const problem: Mutable<LifetimeProblem> = { kind: problemKind, resourceKind: kind.kind.name, id, rows, ...(problemKind === 'useAfterDestroy' ? { uses: 1 } : {}) };
    kind.problems[problemKind]++;
    this.problemCount++;
    if (this.problems.length < this.kept) this.problems.push(problem);
    return problem;
  }

  private planOf(opcodeId: number): readonly IdRead[] {
    let plan = this.plans[opcodeId];
    if (plan) return plan;
    const opcode = this.source.index.opcodeValues[opcodeId]!;
    const scope = this.source.filterScope;
    const reads: IdRead[] = [];
    const value = BigInt(opcode);
    const add = (kind: number, role: Role, field: { paths: readonly string[]; countPath?: string }) =>
      reads.push({
        kind,
        role,
        readers: field.paths.map((path) => scope.field(path)?.readerFor(opcode)),
        paths: field.paths,
        count: field.countPath === undefined ? undefined : scope.field(field.countPath)?.readerFor(opcode),
      });
    // Uses first: a command that both uses one object and creates another of the same kind reads in that order.
    this.kinds.forEach(({ kind }, k) => kind.uses.get(value)?.forEach((field) => add(k, Role.use, field)));
    this.kinds.forEach(({ kind }, k) => {
      const destroy = kind.destroys.get(value);
      if (destroy) add(k, Role.destroy, destroy);
    });
    this.kinds.forEach(({ kind }, k) => {
      const create = kind.creates.get(value);
      if (create) add(k, Role.create, create);
    });
    plan = reads.length > 0 ? reads : NOTHING;
    this.plans[opcodeId] = plan;
    return plan;
  }
}

/** An id as a map key: numbers as numbers (a 64-bit field that fits too), so 5 and 5n are one id. */
function normalId(value: unknown): number | bigint | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= 0n ? Number(value) : value;
  return undefined;
}

function countOf(value: unknown): number | bigint {
  return typeof value === 'number' || typeof value === 'bigint' ? value : 0;
}

/** One line for a problem: `view 7 used after it was destroyed: destroyed at #120 (DESTROY_VIEW view_id), used at #131 (SET_RENDER_TARGETS rtv_ids[0]), 3 uses in all`. */
export function describeLifetimeProblem(problem: LifetimeProblem, opcodeName: (opcode: number) => string): string {
  const at = (row: LifetimeRow) => `${row.role} at #${row.seq} (${opcodeName(row.opcode)} ${row.field})`;
  const what = `${problem.resourceKind} ${String(problem.id)}`;
  const rows = problem.rows.map(at).join(', ');
  switch (problem.kind) {
    case 'useAfterDestroy':
      return `${what} used after it was destroyed: ${rows}${(problem.uses ?? 1) > 1 ? `, ${problem.uses} uses in all` : ''}`;
    case 'doubleDestroy':
      return `${what} destroyed twice: ${rows}`;
    case 'recreated':
      return `${what} created again while alive (the first is never destroyed): ${rows}`;
    case 'neverDestroyed':
      return `${what} never destroyed: ${rows}`;
  }
}
