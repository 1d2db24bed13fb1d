/**
 * Kubernetes resource quantities as numbers (cores, bytes), to compare requests with limits:
 * `250m` → 0.25, `1` → 1, `320Mi` → 335544320, `1G` → 1e9.
 */
const SUFFIXES: Record<string, number> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

export function parseQuantity(quantity: string | number): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti|)$/.exec(String(quantity));
  const factor = SUFFIXES[match?.[2] ?? 'none'];
  if (!match || factor === undefined) throw new Error(`${quantity} is not a resource quantity`);
  return Number(match[1]) * factor;
}
