/**
 * Splits an integer amount of minor units in proportion to integer weights by the largest-remainder
 * method: every share is floor(total·weight/Σweights), and the units left over go one each to the
 * largest remainders (ties to the earlier weight). The shares always sum to `total` exactly and the
 * split is deterministic. Arithmetic is in BigInt so large amounts never lose precision.
 */
export function allocate(total: number, weights: number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError('total must be a non-negative integer');
  if (weights.some((weight) => !Number.isSafeInteger(weight) || weight < 0)) throw new RangeError('weights must be non-negative integers');
  const sum = weights.reduce((a, b) => a + BigInt(b), 0n);
  if (sum === 0n) {
    if (total !== 0) throw new RangeError('cannot allocate a positive total over zero weights');
    return weights.map(() => 0);
  }
  const big = BigInt(total);
  const shares = weights.map((weight) => (big * BigInt(weight)) / sum);
  const remainders = weights.map((weight, index) => ({ index, remainder: (big * BigInt(weight)) % sum }));
  let left = big - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of remainders) {
    if (left === 0n) break;
    shares[index]! += 1n;
    left -= 1n;
  }
  return shares.map(Number);
}
