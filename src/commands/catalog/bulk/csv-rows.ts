import { UnreadableFile } from './records.js';
import type { JobMode } from '../../../domain/catalog/bulk-job.js';

/**
 * CSV columns (documented in the OpenAPI description of POST /admin/products/bulk).
 *
 * create: one row per SKU; rows with the same `productKey` (contiguous) make one product, whose product
 * columns are read from its first row (later rows may repeat them or leave them empty). Without a
 * productKey column every row is a product with one SKU.
 *   product: productKey, spuId, title, categoryId, brandId, description, images (URLs separated by |),
 *            status (draft|listed), takeStockAt (order|payment), attr.<name> (key and general attributes)
 *   SKU:     skuCode, price (integer fen), currency (optional, CNY), stock (integer ≥ 0), sales.<name>
 * update: one row per SKU: skuCode or skuId, then any of price (integer fen), currency, stock (sets the
 *   units on hand), status (listed|delisted: the SKU's product).
 */
export const CREATE_PRODUCT_COLUMNS = ['productKey', 'spuId', 'title', 'categoryId', 'brandId', 'description', 'images', 'status', 'takeStockAt'] as const;
export const CREATE_SKU_COLUMNS = ['skuCode', 'price', 'currency', 'stock'] as const;
export const UPDATE_COLUMNS = ['skuCode', 'skuId', 'price', 'currency', 'stock', 'status'] as const;

export function checkCsvHeader(mode: JobMode) {
  return (columns: string[]): void => {
    const known = new Set<string>(mode === 'create' ? [...CREATE_PRODUCT_COLUMNS, ...CREATE_SKU_COLUMNS] : UPDATE_COLUMNS);
    const prefixed = (column: string) => mode === 'create' && /^(attr|sales)\.\S/.test(column);
    const unknown = columns.filter((column) => !known.has(column) && !prefixed(column));
    if (unknown.length > 0) throw new UnreadableFile(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')} for mode ${mode}`);
    const repeated = columns.filter((column, index) => columns.indexOf(column) !== index);
    if (repeated.length > 0) throw new UnreadableFile(`column "${repeated[0]}" appears twice`);
    const required = mode === 'create' ? ['skuCode', 'price', 'stock'] : [];
    const missing = required.filter((column) => !columns.includes(column));
    if (mode === 'update' && !columns.includes('skuCode') && !columns.includes('skuId')) missing.push('skuCode or skuId');
    if (missing.length > 0) throw new UnreadableFile(`missing column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  };
}

/** An integer cell, or a message saying why not. */
function integer(value: string | undefined, column: string, problems: string[], what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(value)) {
    problems.push(`${column}: must be ${what}`);
    return undefined;
  }
  return Number(value);
}

const prefixed = (fields: Record<string, string>, prefix: string) =>
  Object.fromEntries(Object.entries(fields).filter(([column]) => column.startsWith(prefix)).map(([column, value]) => [column.slice(prefix.length), value]));

/** Product columns of a group's first row → the product part of a create body. */
export function csvProduct(fields: Record<string, string>): Record<string, unknown> {
  const product: Record<string, unknown> = {};
  for (const column of ['spuId', 'title', 'categoryId', 'brandId', 'description', 'status', 'takeStockAt'] as const) {
    if (fields[column] !== undefined) product[column] = fields[column];
  }
  if (fields.images !== undefined) product.images = fields.images.split('|').map((url) => url.trim()).filter(Boolean);
  const attributes = prefixed(fields, 'attr.');
  if (Object.keys(attributes).length > 0) product.attributes = attributes;
  return product;
}

const PRICE = 'an integer number of fen, e.g. 1999 for ¥19.99';

/** SKU columns of a row → one SKU of a create body; `problems` gets the cells that are not numbers. */
export function csvSku(fields: Record<string, string>, problems: string[]): Record<string, unknown> {
  const amount = integer(fields.price, 'price', problems, PRICE);
  const stock = integer(fields.stock, 'stock', problems, 'an integer ≥ 0');
  const salesAttributes = prefixed(fields, 'sales.');
  return {
    skuCode: fields.skuCode,
    ...(Object.keys(salesAttributes).length > 0 ? { salesAttributes } : {}),
    price: fields.price === undefined ? undefined : { amount, currency: fields.currency ?? 'CNY' },
    stock,
  };
}

/** An update row → the update-mode NDJSON shape. */
export function csvUpdate(fields: Record<string, string>, problems: string[]): Record<string, unknown> {
  const update: Record<string, unknown> = {};
  if (fields.skuCode !== undefined) update.skuCode = fields.skuCode;
  if (fields.skuId !== undefined) update.skuId = fields.skuId;
  if (fields.price !== undefined) update.price = { amount: integer(fields.price, 'price', problems, PRICE), currency: fields.currency ?? 'CNY' };
  if (fields.stock !== undefined) update.stock = integer(fields.stock, 'stock', problems, 'an integer ≥ 0');
  if (fields.status !== undefined) update.status = fields.status;
  return update;
}

/** Error paths of a create body, in the CSV's column names. */
export function csvColumnOf(path: string): string {
  return path
    .replace(/^skus\.\d+\.price\.amount$/, 'price')
    .replace(/^skus\.\d+\.price\.currency$/, 'currency')
    .replace(/^skus\.\d+\.price$/, 'price')
    .replace(/^skus\.\d+\.salesAttributes\.?/, 'sales.')
    .replace(/^skus\.\d+\./, '')
    .replace(/^attributes\./, 'attr.')
    .replace(/^price\.amount$/, 'price')
    .replace(/^price\.currency$/, 'currency')
    .replace(/^sales\.$/, 'sales');
}
