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
 */
export interface Shootdown {
  readonly asid: number;
  readonly startVpn: number;
  readonly endVpn: number;
  readonly targets: readonly number[];
  readonly acked: boolean[];
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
  /** Shootdowns completed since the world began (for reports). */
  completed = 0;

  issue(asid: number, startVpn: number, endVpn: number, targets: readonly number[]): Shootdown {
    const sd: Shootdown = { asid, startVpn, endVpn, targets, acked: targets.map(() => false) };
    this.inFlight.push(sd);
    return sd;
  }

  /** A CPU processed an invalidation of [startVpn, endVpn) of `asid` (all pages when endVpn is Infinity). */
  covered(cpu: number, asid: number, startVpn: number, endVpn: number): void {
    if (this.uncovered.size === 0) return;
    for (const k of this.uncovered) {
      const [c, a, v] = k.split(":").map(Number) as [number, number, number];
      if (c === cpu && (asid < 0 || a === asid) && v >= startVpn && v < endVpn) this.uncovered.delete(k);
    }
  }
}
