/**
 * The lock-order validator's view of a kernel's shape (impl/locks/lock-classes.ts LockTopology):
 * which map is a submap of which, which object lies below which on a shadow chain. One
 * validator serves every run of a campaign, each run with its own kernel, so the kernel is
 * swapped in by each run's scheduler.
 */
import type { LockTopology } from "../locks/lock-classes.ts";
import type { Kernel } from "../kernel.ts";

export class KernelTopology implements LockTopology {
  kernel: Kernel | null = null;

  isSubmapOf(sub: number, parent: number): boolean {
    const k = this.kernel;
    if (k === null || sub === parent) return false;
    const p = k.everyMap.get(parent), s = k.everyMap.get(sub);
    return p !== undefined && s !== undefined && p.reaches(s);
  }

  isShadowBelow(lower: number, upper: number): boolean {
    const k = this.kernel;
    if (k === null) return false;
    let top = null;
    for (const o of k.objectLayer.live) if (o.id === upper) top = o;
    for (let x = top?.shadow ?? null; x !== null; x = x.shadow) if (x.id === lower) return true;
    return false;
  }
}
