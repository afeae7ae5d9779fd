/**
 * The largest values the API accepts, per kind of field (checked at the HTTP door and in bulk uploads).
 * They keep every sum the system forms (a line total, an order, a ledger balance built from many
 * credits) far below 2^53, where a JavaScript number starts to lose whole units. Documented in the
 * OpenAPI document as each field's `maximum`, and in docs/architecture.md.
 */

/** A money amount in a request (a credit, a voucher, a budget, an expected price): 10^12 fen, ¥10 billion. */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;
/** A product's price: 10^11 fen (¥1 billion), so 999 units × 50 lines stays below 2^53. */
export const MAX_PRICE_MINOR = 100_000_000_000;
/** Units on hand of one SKU, and the largest stock change (delta) of one request. */
export const MAX_STOCK = 1_000_000_000;
/** Counts such as usage limits, maximum uses and flash-sale quantities. */
export const MAX_COUNT = 1_000_000_000;
/** Coins in one request (a credit to the coins account, coins redeemed). */
export const MAX_COINS = 1_000_000_000;
