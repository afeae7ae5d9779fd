/** Money is integer minor units with a currency. Never floats. */
export interface Money {
  amount: number;
  currency: string;
}

export const DEFAULT_CURRENCY = 'CNY';

export const money = (amount: number, currency = DEFAULT_CURRENCY): Money => ({ amount, currency });
