/**
 * Internal: can the chosen `role` leaves of a rule all be filled by different signers? A signer is
 * a key with its organisation and roles. Constraints: one key fills at most one leaf, and one
 * (organisation, role) pair fills at most one leaf (two keys of one organisation holding the same
 * role count once for that role). Solved exactly as a unit-capacity max flow
 * source → leaf → (org, role) unit (in → out) → key → sink, grown one leaf at a time: when the
 * current flow fills every chosen leaf, one augmenting path decides whether one more fits.
 */

/** A counted signer. */
export interface Candidate {
  readonly keyId: string;
  readonly org: string;
  readonly roles: ReadonlySet<string>;
}

/** Incremental leaf-to-signer assignment over a fixed list of leaves (their roles). */
export class LeafAssignment {
  private readonly head: number[];
  private readonly to: number[] = [];
  private cap: number[] = [];
  private readonly next: number[] = [];
  /** Edge index of source → leaf, per leaf. */
  private readonly leafEdge: number[] = [];
  /** Number of keys that can fill any leaf at all. */
  readonly usefulKeys: number;

  constructor(candidates: readonly Candidate[], leafRoles: readonly string[]) {
    const unitIndex = new Map<string, number>();
    const unitsByRole = new Map<string, number[]>();
    const keysByUnit: number[][] = [];
    const wanted = new Set(leafRoles);
    candidates.forEach((c, k) => {
      for (const role of c.roles) {
        if (!wanted.has(role)) continue;
        const id = `${c.org}\u0000${role}`;
        let u = unitIndex.get(id);
        if (u === undefined) {
          u = keysByUnit.length;
          unitIndex.set(id, u);
          keysByUnit.push([]);
          unitsByRole.set(role, [...(unitsByRole.get(role) ?? []), u]);
        }
        keysByUnit[u]?.push(k);
      }
    });
    const units = keysByUnit.length;
    const leaf0 = 2;
    const in0 = leaf0 + leafRoles.length;
    const out0 = in0 + units;
    const key0 = out0 + units;
    this.head = new Array<number>(key0 + candidates.length).fill(-1);
    leafRoles.forEach((role, l) => {
      this.leafEdge.push(this.edge(0, leaf0 + l, 0));
      for (const u of unitsByRole.get(role) ?? []) this.edge(leaf0 + l, in0 + u, 1);
    });
    const useful = new Set<number>();
    keysByUnit.forEach((keys, u) => {
      this.edge(in0 + u, out0 + u, 1);
      for (const k of keys) {
        this.edge(out0 + u, key0 + k, 1);
        useful.add(k);
      }
    });
    for (const k of useful) this.edge(key0 + k, 1, 1);
    this.usefulKeys = useful.size;
  }

  private edge(from: number, to: number, cap: number): number {
    const e = this.to.length;
    this.to.push(to, from);
    this.cap.push(cap, 0);
    this.next.push(this.head[from] as number, this.head[to] as number);
    this.head[from] = e;
    this.head[to] = e + 1;
    return e;
  }

  /** The current flow, to {@link LeafAssignment.restore} when backtracking. */
  snapshot(): number[] {
    return this.cap.slice();
  }

  /** Returns to a {@link LeafAssignment.snapshot}. */
  restore(state: number[]): void {
    this.cap = state.slice();
  }

  /**
   * Adds leaf `l` to the chosen leaves when it can be filled together with them (the flow grows by
   * one); otherwise leaves the state unchanged and returns false.
   */
  tryAdd(l: number): boolean {
    const e = this.leafEdge[l] as number;
    this.cap[e] = 1;
    if (this.augment(0, 1)) return true;
    this.cap[e] = 0;
    return false;
  }

  private augment(source: number, sink: number): boolean {
    const via = new Array<number>(this.head.length).fill(-1);
    const seen = new Uint8Array(this.head.length);
    seen[source] = 1;
    const queue = [source];
    for (let q = 0; q < queue.length; q++) {
      const n = queue[q] as number;
      for (let e = this.head[n] as number; e !== -1; e = this.next[e] as number) {
        const m = this.to[e] as number;
        if ((this.cap[e] as number) > 0 && seen[m] === 0) {
          seen[m] = 1;
          via[m] = e;
          if (m === sink) {
            for (let x = sink; x !== source; ) {
              const used = via[x] as number;
              this.cap[used] = (this.cap[used] as number) - 1;
              this.cap[used ^ 1] = (this.cap[used ^ 1] as number) + 1;
              x = this.to[used ^ 1] as number;
            }
            return true;
          }
          queue.push(m);
        }
      }
    }
    return false;
  }
}
