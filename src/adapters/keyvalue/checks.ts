/** Argument and value checks every KeyValue adapter applies the same way (the contract suite holds them to it). */

export function requireTokenCount(count: number): void {
  if (!Number.isSafeInteger(count) || count <= 0) throw new Error(`a token count is a positive integer, not ${count}`);
}

export function integerValue(key: string, value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(number)) throw new Error(`value of ${key} is not an integer`);
  return number;
}
