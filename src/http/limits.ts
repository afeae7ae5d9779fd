import { z } from '@hono/zod-openapi';
import { MAX_AMOUNT_MINOR, MAX_COUNT } from '../kernel/limits.js';

export { MAX_AMOUNT_MINOR, MAX_COINS, MAX_COUNT, MAX_PRICE_MINOR, MAX_STOCK } from '../kernel/limits.js';

/** A bounded integer with messages that name the bounds. */
export const boundedInt = (min: number, max: number, unit = '') =>
  z
    .number()
    .int(`must be a whole number${unit}`)
    .min(min, `must be at least ${min.toLocaleString('en')}${unit}`)
    .max(max, `must be at most ${max.toLocaleString('en')}${unit}`);

/** Money in a request body: a whole, non-negative number of minor units up to MAX_AMOUNT_MINOR. */
export const MoneyInput = z
  .object({
    amount: boundedInt(0, MAX_AMOUNT_MINOR, ' of minor units').openapi({ description: `integer minor units (fen for CNY), 0 to ${MAX_AMOUNT_MINOR}`, example: 1999 }),
    currency: z.string().regex(/^[A-Z]{3}$/, 'a three-letter currency code such as CNY').openapi({ example: 'CNY' }),
  })
  .openapi('MoneyInput');

/** A positive count (usage limits, maximum uses, units) up to MAX_COUNT. */
export const CountInput = boundedInt(1, MAX_COUNT);
