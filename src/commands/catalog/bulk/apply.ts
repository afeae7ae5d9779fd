import type { Deps } from '../../../deps.js';
import type { EventMetadata } from '../../../ports/event-store.js';
import { ConflictError, DomainError, NotFoundError, ValidationError, type FieldError } from '../../../kernel/errors.js';
import { idFromSeed } from '../../../domain/catalog/canonical.js';
import { productDecider, type ActiveProduct } from '../../../domain/catalog/product.js';
import { inventoryDecider, inventoryStream } from '../../../domain/inventory/inventory.js';
import { reservationStream } from '../../../domain/uniqueness/reservation.js';
import type { JobState, RowFailure } from '../../../domain/catalog/bulk-job.js';
import { createProduct, changeSkuPrice, changeStock, setProductStatus, type CreateProductInput } from '../products.js';
import { canTouch, lookupSku, ownProduct, type CatalogActor } from '../lookups.js';
import { BulkProductSchema, BulkUpdateSchema, describeIssues, type BulkUpdate } from '../schemas.js';
import { csvColumnOf, csvProduct, csvSku, csvUpdate } from './csv-rows.js';

/** What became of some rows. */
export interface Outcome {
  succeeded: number;
  failures: RowFailure[];
}

export interface JobContext {
  deps: Deps;
  job: JobState;
  /** Rows act on the job's merchant's products only. */
  actor: CatalogActor;
  metadata: EventMetadata;
}

export const jobContext = (deps: Deps, job: JobState): JobContext => ({
  deps,
  job,
  actor: { id: job.merchantId, role: 'merchant' },
  metadata: { actor: job.startedBy, correlationId: `job-${job.jobId}` },
});

/** Rows of a CSV that make one product (one row per SKU). */
export interface CsvGroup {
  key: string;
  rows: Array<{ row: number; fields: Record<string, string> }>;
  /** Rows of the group that are malformed: the product is not created. */
  tainted: RowFailure[];
  /** Unparseable rows met while the group was open (they fail on their own). */
  strays: RowFailure[];
  /** The key was used by an earlier, finished group. */
  scattered: boolean;
}

/** Ids derived from the job and the product's key: a resumed job re-creates exactly the same product (a no-op). */
const productIds = (jobId: string, key: string) => {
  const productId = idFromSeed(`${jobId}:product:${key}`);
  return { productId, skuId: (skuCode: string) => idFromSeed(`${productId}:sku:${skuCode}`) };
};

export async function applyCsvGroup(context: JobContext, group: CsvGroup): Promise<Outcome> {
  const outcome = await applyGroup(context, group);
  return { succeeded: outcome.succeeded, failures: [...outcome.failures, ...group.strays].sort((a, b) => a.row - b.row) };
}

async function applyGroup(context: JobContext, group: CsvGroup): Promise<Outcome> {
  const rows = group.rows.map((entry) => entry.row);
  if (group.tainted.length > 0) return failAll(group, group.tainted, `product "${group.key}" was not created: row ${group.tainted[0]!.row} is invalid`);
  const problems: RowFailure[] = [];
  const skus = group.rows.map(({ row, fields }) => {
    const cellProblems: string[] = [];
    const sku = csvSku(fields, cellProblems);
    if (cellProblems.length > 0) problems.push({ row, error: cellProblems.join('; ') });
    return sku;
  });
  if (problems.length > 0) return failAll(group, problems, `product "${group.key}" was not created: row ${problems[0]!.row} is invalid`);
  const body = { ...csvProduct(group.rows[0]!.fields), skus };
  const errors = await createFrom(context, body, group.key);
  if (errors) {
    const failures = attribute(errors, rows, rows[0]!);
    return failAll(group, failures, `product "${group.key}" was not created: row ${failures[0]!.row} is invalid`);
  }
  return { succeeded: rows.length, failures: [] };
}

export async function applyJsonProduct(context: JobContext, row: number, value: unknown): Promise<Outcome> {
  const errors = await createFrom(context, value, `row-${row}`);
  return errors ? fail(row, describe(errors)) : { succeeded: 1, failures: [] };
}

/** Validates a create body as POST /admin/products would and creates the product; returns why not, or null. */
async function createFrom(context: JobContext, body: unknown, key: string): Promise<FieldError[] | null> {
  const parsed = BulkProductSchema.safeParse(body);
  if (!parsed.success) return parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  try {
    await createProduct(context.deps, context.actor, parsed.data as CreateProductInput, context.metadata, productIds(context.job.jobId, key));
    return null;
  } catch (error) {
    return fieldErrors(error);
  }
}

const describe = (errors: FieldError[]) => errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');

/** A domain refusal as field errors (other errors are not a row's fault: they propagate). */
function fieldErrors(error: unknown): FieldError[] {
  if (error instanceof ValidationError) return error.errors.length > 0 ? error.errors : [{ path: '', message: error.message }];
  if (error instanceof ConflictError) {
    const errors = (error.details?.errors as FieldError[] | undefined) ?? [];
    return errors.length > 0 ? errors.map((e) => ({ ...e, message: error.message })) : [{ path: '', message: error.message }];
  }
  if (error instanceof DomainError) return [{ path: '', message: error.message }];
  throw error;
}

/** Errors on `skus.<i>…` belong to the i-th row of the group, the others to its first row; paths become column names. */
function attribute(errors: FieldError[], rows: number[], first: number): RowFailure[] {
  const byRow = new Map<number, FieldError[]>();
  for (const error of errors) {
    const index = /^skus\.(\d+)/.exec(error.path);
    const row = index ? (rows[Number(index[1])] ?? first) : first;
    byRow.set(row, [...(byRow.get(row) ?? []), { ...error, path: csvColumnOf(error.path) }]);
  }
  return [...byRow.entries()].sort(([a], [b]) => a - b).map(([row, rowErrors]) => ({ row, error: describe(rowErrors) }));
}

function failAll(group: CsvGroup, failures: RowFailure[], others: string): Outcome {
  const failedRows = new Set(failures.map((failure) => failure.row));
  const rest = group.rows.filter((entry) => !failedRows.has(entry.row)).map((entry) => ({ row: entry.row, error: others }));
  return { succeeded: 0, failures: [...failures, ...rest].sort((a, b) => a.row - b.row) };
}

// ---------- update mode ----------

export async function applyUpdate(context: JobContext, row: number, value: unknown, fromCsv: boolean): Promise<Outcome> {
  const problems: string[] = [];
  const body = fromCsv ? csvUpdate(value as Record<string, string>, problems) : value;
  if (problems.length > 0) return fail(row, problems.join('; '));
  const parsed = BulkUpdateSchema.safeParse(body);
  if (!parsed.success) return fail(row, describeIssues(parsed.error, fromCsv ? csvColumnOf : undefined));
  try {
    await update(context, parsed.data);
    return { succeeded: 1, failures: [] };
  } catch (error) {
    return fail(row, describe(fieldErrors(error).map((e) => (fromCsv ? { ...e, path: csvColumnOf(e.path) } : e))));
  }
}

const fail = (row: number, error: string): Outcome => ({ succeeded: 0, failures: [{ row, error }] });

/** Checks every change against the current state first (pure dry runs), then applies them: a bad row changes nothing. */
async function update(context: JobContext, change: BulkUpdate): Promise<void> {
  const { deps, actor, metadata } = context;
  const skuId = change.skuId ?? (await skuIdOfCode(context, change.skuCode!));
  const sku = await lookupSku(deps, skuId);
  if (!sku || !canTouch(actor, sku.merchantId)) throw new NotFoundError(`SKU ${change.skuId ?? change.skuCode}`);
  const { product } = await ownProduct(deps, actor, sku.productId);
  const at = deps.clock.now().toISOString();
  if (change.price) productDecider.decide({ type: 'ChangeSkuPrice', skuId, price: change.price, at }, product);
  if (change.status) productDecider.decide({ type: 'SetProductStatus', status: change.status, at }, product as ActiveProduct);
  if (change.stock !== undefined) {
    const { state } = await deps.handlers.inventory.load(inventoryStream(skuId));
    inventoryDecider.decide({ type: 'SetStock', skuId, productId: sku.productId, onHand: change.stock, at }, state);
  }
  if (change.price) await changeSkuPrice(deps, actor, { skuId, price: change.price }, metadata);
  if (change.stock !== undefined) await changeStock(deps, actor, { skuId, change: { set: change.stock } }, metadata);
  if (change.status) await setProductStatus(deps, actor, { productId: sku.productId, status: change.status }, metadata);
}

/** SKU codes are unique per merchant through their reservation stream, which names the SKU that owns the code. */
async function skuIdOfCode(context: JobContext, skuCode: string): Promise<string> {
  const { state } = await context.deps.handlers.reservation.load(reservationStream('sku-code', `${context.job.merchantId}/${skuCode}`));
  if (state.ownerId === null) throw new ValidationError('unknown SKU code', [{ path: 'skuCode', message: `no SKU with code ${skuCode}` }]);
  return state.ownerId;
}
