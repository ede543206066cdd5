/** Values as strace prints them: numbers (decimal, hex, octal, NULL, keyword=value), flag lists, protections. */

const PROT = { PROT_NONE: 0, PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4 } as const;

const NUMBER = /^(?:0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

/** A number as strace prints it (decimal, hex, octal, NULL); undefined when it is not one. */
export function straceNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === "NULL") return 0;
  const eq = text.indexOf("="); // keyword form: flags=…, child_stack=…
  const t = eq > 0 && /^[a-z_]+$/.test(text.slice(0, eq)) ? text.slice(eq + 1) : text;
  if (!NUMBER.test(t)) return undefined;
  const n = t.length > 1 && t.charCodeAt(0) === 48 && t.charCodeAt(1) !== 120 ? parseInt(t, 8) : Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The symbolic flags of `A|B|C` (a numeric part is kept as text). */
export const flagList = (text: string | undefined): string[] => (text ?? "").split("|").map((f) => f.trim());

/** `PROT_READ|PROT_WRITE` → VM protection bits; undefined for anything unknown. */
export function protection(text: string | undefined): number | undefined {
  let bits = 0;
  for (const f of flagList(text)) {
    if (Object.hasOwn(PROT, f)) bits |= PROT[f as keyof typeof PROT];
    else if (f === "PROT_GROWSDOWN" || f === "PROT_GROWSUP" || f === "PROT_SEM") continue;
    else {
      const n = straceNumber(f);
      if (n === undefined || n > 7) return undefined;
      bits |= n;
    }
  }
  return bits;
}
