import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservationStream } from '../../src/domain/uniqueness/reservation.js';
import { runJob } from '../../src/commands/catalog/bulk/worker.js';
import { startFileJob } from '../../src/commands/catalog/bulk/start.js';
import { catalogWorld, settled, taxonomy, type CatalogWorld, type Taxonomy } from './catalog-support.js';

let world: CatalogWorld;
let t: Taxonomy;

beforeAll(async () => {
  world = await catalogWorld();
  t = await taxonomy(world);
});
afterAll(() => world.runtime.close());

async function upload(token: string, body: string, contentType: string, query = 'mode=create', headers: Record<string, string> = {}) {
  return world.api('POST', `/api/v1/admin/products/bulk?${query}`, { token, body, headers: { 'Content-Type': contentType, ...headers } });
}

async function finished(token: string, jobId: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const job = await world.api('GET', `/api/v1/admin/jobs/${jobId}`, { token });
    expect(job.status, JSON.stringify(job.body)).toBe(200);
    if (job.body.status !== 'running') return job.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`job ${jobId} did not finish`);
}

const owner = async (merchantId: string, skuCode: string) =>
  (await world.runtime.deps.handlers.reservation.load(reservationStream('sku-code', `${merchantId}/${skuCode}`))).state.ownerId;

async function productsOf(token: string) {
  await settled(world);
  return (await world.api('GET', '/api/v1/admin/products?limit=100', { token })).body.items as Array<{ id: string; title: string; status: string; skus: Array<{ id: string; skuCode: string; price: { amount: number }; onHand: number }> }>;
}

const rowsOf = (job: { rows: Array<{ row: number }> }) => job.rows.map((r) => r.row);
const errorOf = (job: { rows: Array<{ row: number; error: string }> }, row: number) => job.rows.find((r) => r.row === row)?.error ?? '';

describe('bulk upload (CSV, mode=create)', () => {
  it('applies the good rows, reports the bad ones by row, and creates nothing for them', async () => {
    const { categoryId: c, brandId: b } = t;
    const csv = [
      'productKey,title,categoryId,brandId,attr.材质,attr.产地,images,status,skuCode,price,stock,sales.颜色,sales.尺码',
      `p1,Tee One,${c},${b},棉,上海,https://img.example.com/1.png,listed,B-1,9900,5,红色,M`,
      `p1,,,,,,,,B-2,9900,0,蓝色,M`,
      `p2,Tee Two,${c},${b},丝,,,,B-3,100,1,红色,S`,
      `p3,Tee Three,${c},${b},棉,,,,B-4,12.5,1,红色,S`,
      `p3,,,,,,,,B-5,100,1,蓝色,S`,
      `p4,Tee Four,${c},${b},棉,,,,B-6,100,-1,红色,L`,
      `p5,Tee Five,${c},${b},棉,,,,B-1,100,1,红色,L`,
      `p6,Tee Six,${c},${b},棉,,,,B-7,100,1,红色,L,extra`,
      `p7,"Tee, Seven",${c},${b},棉,,,,B-8,100,1,红色,L`,
      `p1,Tee One,${c},${b},棉,,,,B-9,100,1,红色,S`,
      `p8,Tee Eight,${c},nope,棉,,,,B-10,100,1,红色,S`,
    ].join('\n');
    const started = await upload(world.merchantA.token, csv, 'text/csv; charset=utf-8');
    expect(started.status).toBe(202);
    expect(started.headers.get('Location')).toBe(`/api/v1/admin/jobs/${started.body.jobId}`);
    const job = await finished(world.merchantA.token, started.body.jobId);
    expect(job).toMatchObject({ status: 'completed', total: 11, succeeded: 3, failed: 8, mode: 'create', format: 'csv', merchantId: world.merchantA.id });
    expect(rowsOf(job)).toEqual([4, 5, 6, 7, 8, 9, 11, 12]);
    expect(job.rows.every((r: { ok: boolean }) => r.ok === false)).toBe(true);
    expect(errorOf(job, 4)).toMatch(/attr\.材质/);
    expect(errorOf(job, 5)).toMatch(/^price: must be an integer number of fen/);
    expect(errorOf(job, 6)).toMatch(/product "p3" was not created: row 5/);
    expect(errorOf(job, 7)).toMatch(/^stock: /);
    expect(errorOf(job, 8)).toMatch(/skuCode: .*already used/);
    expect(errorOf(job, 9)).toMatch(/expected 13 columns/);
    expect(errorOf(job, 11)).toMatch(/contiguous/);
    expect(errorOf(job, 12)).toMatch(/^brandId: /);

    const products = await productsOf(world.merchantA.token);
    expect(products.map((p) => p.title).sort()).toEqual(['Tee One', 'Tee, Seven']);
    const one = products.find((p) => p.title === 'Tee One')!;
    expect(one.status).toBe('listed');
    expect(one.skus.map((s) => s.skuCode).sort()).toEqual(['B-1', 'B-2']);
    for (const code of ['B-3', 'B-4', 'B-5', 'B-6', 'B-7', 'B-9', 'B-10']) expect(await owner(world.merchantA.id, code)).toBeNull();
  });

  it('fails the whole job for an unknown column', async () => {
    const started = await upload(world.merchantA.token, 'skuCode,price,stock,colour\nX-1,100,1,red\n', 'text/csv');
    const job = await finished(world.merchantA.token, started.body.jobId);
    expect(job).toMatchObject({ status: 'failed', total: 0 });
    expect(job.error).toMatch(/unknown column "colour"/);
  });
});

describe('bulk upload (NDJSON, mode=create)', () => {
  it('creates one product per line and reports bad lines', async () => {
    const product = (skuCode: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ title: `N ${skuCode}`, categoryId: t.categoryId, brandId: t.brandId, attributes: { 材质: '麻' }, skus: [{ skuCode, salesAttributes: { 颜色: '蓝色', 尺码: 'L' }, price: { amount: 500, currency: 'CNY' }, stock: 2 }], ...extra });
    const ndjson = [product('N-1'), '{not json', '{}', product('N-2', { colour: 'x' }), '', product('N-3'), product('N-4', { skus: [] })].join('\n');
    const started = await upload(world.merchantB.token, ndjson, 'application/x-ndjson');
    expect(started.status).toBe(202);
    const job = await finished(world.merchantB.token, started.body.jobId);
    expect(job).toMatchObject({ status: 'completed', total: 6, succeeded: 2, failed: 4 });
    expect(rowsOf(job)).toEqual([2, 3, 4, 7]);
    expect(errorOf(job, 2)).toBe('not valid JSON');
    expect(errorOf(job, 3)).toMatch(/skus/);
    expect(errorOf(job, 4)).toMatch(/colour/);
    const products = await productsOf(world.merchantB.token);
    expect(products.map((p) => p.title).sort()).toEqual(['N N-1', 'N N-3']);
    expect(await owner(world.merchantB.id, 'N-2')).toBeNull();
  });
});

describe('bulk edit (mode=update)', () => {
  it('changes price, stock and status by SKU code (CSV), checking each row before applying it', async () => {
    const csv = ['skuCode,price,stock,status', 'B-1,12000,,', 'B-2,,7,delisted', 'NOPE,100,,', 'B-8,abc,,', 'B-8,,,', 'B-8,,5,delisted', 'B-8,,-2,'].join('\n');
    const started = await upload(world.merchantA.token, csv, 'text/csv', 'mode=update');
    const job = await finished(world.merchantA.token, started.body.jobId);
    expect(job).toMatchObject({ status: 'completed', total: 7, succeeded: 2, failed: 5 });
    expect(rowsOf(job)).toEqual([4, 5, 6, 7, 8]);
    expect(errorOf(job, 4)).toMatch(/no SKU with code NOPE/);
    expect(errorOf(job, 5)).toMatch(/^price: /);
    expect(errorOf(job, 6)).toMatch(/at least one of price, stock, status/);
    expect(errorOf(job, 7)).toMatch(/cannot delist/);
    expect(errorOf(job, 8)).toMatch(/^stock: /);
    const products = await productsOf(world.merchantA.token);
    const one = products.find((p) => p.title === 'Tee One')!;
    expect(one.status).toBe('delisted');
    expect(one.skus.find((s) => s.skuCode === 'B-1')!.price.amount).toBe(12000);
    expect(one.skus.find((s) => s.skuCode === 'B-2')!.onHand).toBe(7);
    const seven = products.find((p) => p.title === 'Tee, Seven')!;
    expect(seven.skus[0]!.onHand).toBe(1); // row 7 was refused whole
    expect(seven.status).toBe('draft');
  });

  it('changes SKUs by id (NDJSON) and only the merchant’s own', async () => {
    const mine = (await productsOf(world.merchantB.token))[0]!.skus[0]!.id;
    const theirs = (await productsOf(world.merchantA.token))[0]!.skus[0]!.id;
    const ndjson = [
      JSON.stringify({ skuId: mine, price: { amount: 777, currency: 'CNY' } }),
      JSON.stringify({ skuId: theirs, price: { amount: 1, currency: 'CNY' } }),
      JSON.stringify({ skuId: mine, skuCode: 'N-1', stock: 1 }),
    ].join('\n');
    const started = await upload(world.merchantB.token, ndjson, 'application/x-ndjson', 'mode=update');
    const job = await finished(world.merchantB.token, started.body.jobId);
    expect(job).toMatchObject({ total: 3, succeeded: 1, failed: 2 });
    expect(errorOf(job, 2)).toMatch(/not found/);
    expect(errorOf(job, 3)).toMatch(/exactly one of skuCode and skuId/);
    expect((await productsOf(world.merchantB.token)).flatMap((p) => p.skus).find((s) => s.id === mine)!.price.amount).toBe(777);
    // Merchant A's job is not merchant B's business.
    expect((await world.api('GET', `/api/v1/admin/jobs/${started.body.jobId}`, { token: world.merchantA.token })).status).toBe(404);
  });
});

describe('bulk upload requests', () => {
  it('replays the same Idempotency-Key and body, refuses another body (422)', async () => {
    const csv = `skuCode,price,stock,title,categoryId,brandId,attr.材质,sales.颜色,sales.尺码\nI-1,100,1,Idem,${t.categoryId},${t.brandId},棉,红色,S\n`;
    const first = await upload(world.adminToken, csv, 'text/csv', 'mode=create', { 'Idempotency-Key': 'bulk-1' });
    const again = await upload(world.adminToken, csv, 'text/csv', 'mode=create', { 'Idempotency-Key': 'bulk-1' });
    expect(again.status).toBe(202);
    expect(again.body.jobId).toBe(first.body.jobId);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    const other = await upload(world.adminToken, `${csv}I-2,100,1,Idem2,${t.categoryId},${t.brandId},棉,红色,S\n`, 'text/csv', 'mode=create', { 'Idempotency-Key': 'bulk-1' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const job = await finished(world.adminToken, first.body.jobId);
    expect(job).toMatchObject({ status: 'completed', succeeded: 1, merchantId: 'platform' });
  });

  it('refuses other content types, bad modes, empty files and customers', async () => {
    expect((await upload(world.adminToken, '{}', 'application/json')).status).toBe(415);
    expect((await upload(world.adminToken, 'skuCode\n', 'text/csv', 'mode=upsert')).status).toBe(400);
    expect((await upload(world.adminToken, '', 'text/csv')).status).toBe(400);
    expect((await upload(world.customerToken, 'skuCode\n', 'text/csv')).status).toBe(403);
    expect((await world.api('GET', '/api/v1/admin/jobs/nope', { token: world.adminToken })).status).toBe(404);
  });

  it('takes files larger than the JSON body limit', async () => {
    const header = `productKey,title,categoryId,brandId,attr.材质,description,skuCode,price,stock,sales.颜色,sales.尺码`;
    const filler = 'x'.repeat(9000);
    const rows = Array.from({ length: 150 }, (_, i) => `big-${i},Big ${i},${t.categoryId},${t.brandId},棉,${filler},BIG-${i},100,1,红色,M`);
    const csv = [header, ...rows].join('\n');
    expect(csv.length).toBeGreaterThan(1024 * 1024);
    const started = await upload(world.merchantB.token, csv, 'text/csv');
    expect(started.status).toBe(202);
    const job = await finished(world.merchantB.token, started.body.jobId);
    expect(job).toMatchObject({ status: 'completed', total: 150, succeeded: 150, failed: 0, rows: [] });
  });
});

describe('a job stopped half-way', () => {
  it('resumes after its last recorded row without creating anything twice', async () => {
    const deps = world.runtime.deps;
    const file = join(world.runtime.dataDir, 'resume.csv');
    const rows = Array.from({ length: 6 }, (_, i) => `R-${i},Resume ${i},${t.categoryId},${t.brandId},棉,红色,M,100,1`);
    writeFileSync(file, ['skuCode,title,categoryId,brandId,attr.材质,sales.颜色,sales.尺码,price,stock', ...rows].join('\n'));
    const metadata = { actor: { id: 'cli', role: 'system' } };
    const started = await startFileJob(deps, { file, mode: 'create', merchantId: 'platform' }, metadata);
    const stop = new AbortController();
    await runJob(deps, started.jobId, { signal: stop.signal, onProgress: (progress) => progress.rows >= 2 && stop.abort() });
    const halfway = (await deps.handlers.job.load(`job-${started.jobId}`)).state;
    expect(halfway).toMatchObject({ status: 'running', total: 2, throughRow: 3 });
    const done = await runJob(deps, started.jobId);
    expect(done).toMatchObject({ status: 'completed', total: 6, succeeded: 6, failed: 0 });
    await settled(world);
    const titles = (await world.api('GET', '/api/v1/admin/products?limit=100&merchantId=platform', { token: world.adminToken })).body.items
      .map((p: { title: string }) => p.title)
      .filter((title: string) => title.startsWith('Resume'));
    expect(titles.sort()).toEqual(rows.map((_, i) => `Resume ${i}`));
  });
});
