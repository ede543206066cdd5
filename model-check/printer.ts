/**
 * One-line printing of commands and results, derived from the vocabulary: every operation is
 * printed the same way (name and arguments), with addresses in hex and protections as rwx, so
 * counterexamples read like a kernel trace.
 */
import { KERN, type KernReturn } from "../spec/constants.ts";
import type { Op, OpResult } from "../spec/vocabulary.ts";

type Style = "hex" | "prot" | "inherit" | "flags" | "plain";

const FIELD_STYLE: Record<string, Style> = {
  addr: "hex", srcAddr: "hex", size: "hex", mask: "hex", min: "hex", max: "hex", offset: "hex", options: "hex",
  permission: "prot",
  cur: "prot", prot: "prot", access: "prot", maxProt: "prot",
  inheritance: "inherit", flags: "flags",
};
/** Fields whose meaning depends on the operation (enter's `max` is a protection). */
const OP_FIELD_STYLE: Record<string, Style> = { "enter.max": "prot", "map_memory_entry.max": "prot" };

const INHERIT = ["share", "copy", "none"];
const REMOVE_FLAGS = ["KUNWIRE", "INTERRUPTIBLE", "WAIT_FOR_KWIRE"];

function formatNumber(x: number, style: Style): string {
  if (!Number.isFinite(x) || !Number.isInteger(x) || x < 0) return String(x);
  switch (style) {
    case "hex":
      return "0x" + x.toString(16);
    case "prot": {
      if (x > 0x1f) return "0x" + x.toString(16);
      const s = (x & 1 ? "r" : "-") + (x & 2 ? "w" : "-") + (x & 4 ? "x" : "-");
      const rest = x & ~7;
      return rest === 0x10 ? s + "+COPY" : rest ? `${s}+0x${rest.toString(16)}` : s;
    }
    case "inherit":
      return INHERIT[x] ?? String(x);
    case "flags": {
      if (x === 0) return "0";
      const names = REMOVE_FLAGS.filter((_, i) => x & (1 << i));
      const rest = x & ~7;
      return [...names, ...(rest ? ["0x" + rest.toString(16)] : [])].join("|");
    }
    case "plain":
      return String(x);
  }
}

function formatValue(op: string, key: string, v: unknown): string {
  if (typeof v === "number") return formatNumber(v, OP_FIELD_STYLE[`${op}.${key}`] ?? FIELD_STYLE[key] ?? "plain");
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o["kind"] === "anonymous") return "anonymous";
    return "{" + Object.entries(o).filter(([k]) => k !== "kind").map(([k, x]) => `${k}=${formatValue(op, k, x)}`).join(", ") + "}";
  }
  return String(v);
}

/** `enter(map=0, addr=0x1000, size=0x40, …)`. */
export function formatOp(command: Op): string {
  const args = Object.entries(command)
    .filter(([k]) => k !== "op")
    .map(([k, v]) => `${k}=${formatValue(command.op, k, v)}`);
  return `${command.op}(${args.join(", ")})`;
}

/** `KERN_SUCCESS addr=0x1000`. */
export function formatResult(result: OpResult): string {
  const extra = Object.entries(result)
    .filter(([k, v]) => k !== "kr" && v !== undefined)
    .map(([k, v]) => {
      if (k === "page") return v === null ? "page=unmapped" : `page=${JSON.stringify(v)}`;
      return `${k}=${formatValue("", k, v)}`;
    });
  return [result.kr, ...extra].join(" ");
}

export const isKernReturn = (x: unknown): x is KernReturn => typeof x === "string" && x in KERN;
