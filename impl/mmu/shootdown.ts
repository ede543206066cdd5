/**
 * TLB shootdown as issue, then complete (reference research notes §1.6: XNU's
 * `pmap_flush_tlbs`; Arm's TLBI followed by DSB).
 *
 * Issuing marks every CPU that may cache the address space (it ran it since its last flush of
 * that ASID) with a pending request. Completing delivers each request to its CPU, which
 * invalidates its TLB and acknowledges; only when every target has acknowledged is the
 * shootdown complete, and only then may the frames it protects be reused — they wait in
 * `deferredFrees` until then. A sequential run completes at the end of each pmap operation
 * batch; the ghost bookkeeping (`uncovered`) remembers every (CPU, ASID, page) whose PTE lost
 * rights and is not yet covered by an acknowledged invalidation on that CPU.
 *
 * Under the scheduler (impl/sched/) the wait for the acknowledgements is a suspension point of
 * the operation that shot down: while its commit runs, `deferTo` names its thread, the requests
 * it issues stay in flight as that thread's, and the thread then collects one CPU's
 * acknowledgement per step (`MmuCore.ack`), letting other threads — and other CPUs' loads and
 * stores through the TLB entries not yet invalidated — run in between.
 */
export interface Shootdown {
  readonly asid: number;
  readonly startVpn: number;
  readonly endVpn: number;
  readonly targets: readonly number[];
  readonly acked: boolean[];
  /** The kernel thread waiting for the acknowledgements, or null (completed at once). */
  readonly owner: number | null;
}

/** Ghost key of (cpu, asid, vpn). */
export const ghostKey = (cpu: number, asid: number, vpn: number): string => `${cpu}:${asid}:${vpn}`;

export class ShootdownLog {
  /** Issued and not yet complete. */
  readonly inFlight: Shootdown[] = [];
  /** Frames to free once every in-flight shootdown is complete. */
  readonly deferredFrees: number[] = [];
  /** Ghost: (cpu, asid, vpn) whose PTE lost rights, not yet invalidated on that CPU. */
  readonly uncovered = new Set<string>();
  /**
   * The thread whose commit is running and will wait for its shootdowns' acknowledgements
   * itself (a suspension point); null: every shootdown completes before its operation returns.
   */
  deferTo: number | null = null;

  issue(asid: number, startVpn: number, endVpn: number, targets: readonly number[]): Shootdown {
    const sd: Shootdown = { asid, startVpn, endVpn, targets, acked: targets.map(() => false), owner: this.deferTo };
    this.inFlight.push(sd);
    return sd;
  }

  /** Free frame `f` once no shootdown is in flight (a frame retired twice is queued once). */
  deferFree(f: number): void {
    if (!this.deferredFrees.includes(f)) this.deferredFrees.push(f);
  }

  /** Frame `f` is in use again: not to be freed after all. */
  keep(f: number): void {
    const i = this.deferredFrees.indexOf(f);
    if (i >= 0) this.deferredFrees.splice(i, 1);
  }

  /** A CPU processed an invalidation of [startVpn, endVpn) of `asid` (all pages when endVpn is Infinity). */
  covered(cpu: number, asid: number, startVpn: number, endVpn: number): void {
    // Stryker disable all: the checker's ghost record (the oracle input of shootdown-coverage), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
    if (this.uncovered.size === 0) return;
    for (const k of this.uncovered) {
      const [c, a, v] = k.split(":").map(Number) as [number, number, number];
      if (c === cpu && (asid < 0 || a === asid) && v >= startVpn && v < endVpn) this.uncovered.delete(k);
    }
  }

  // Stryker restore all
  /** The next acknowledgement `owner` waits for: a shootdown it issued and a target CPU that has not acknowledged. */
  nextAck(owner: number): { readonly sd: Shootdown; readonly i: number; readonly cpu: number } | undefined {
    for (const sd of this.inFlight) {
      if (sd.owner !== owner) continue;
      const i = sd.acked.indexOf(false);
      if (i >= 0) return { sd, i, cpu: sd.targets[i]! };
    }
    return undefined;
  }
}
