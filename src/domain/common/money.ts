/** Money is integer minor units with a currency. Never floats. */
export interface Money {
  amount: number;
  currency: string;
}

export const DEFAULT_CURRENCY = 'CNY';

export const money = (amount: number, currency = DEFAULT_CURRENCY): Money => ({ amount, currency });

/** Money as a person reads it in a message: `CNY 12.34` (minor units to a decimal, integers only). */
export function formatMoney(amount: number, currency = DEFAULT_CURRENCY): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${currency} ${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
