import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecords, UnreadableFile, type FileRecord } from '../../../src/commands/catalog/bulk/records.js';
import { checkCsvHeader, csvColumnOf } from '../../../src/commands/catalog/bulk/csv-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'bazaar-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(name: string, text: string, format: 'csv' | 'ndjson', mode: 'create' | 'update' = 'create') {
  const file = join(dir, name);
  writeFileSync(file, text);
  const records: FileRecord[] = [];
  for await (const record of readRecords(file, format, checkCsvHeader(mode))) records.push(record);
  return records;
}

describe('reading bulk files', () => {
  it('numbers CSV rows by the line they start on (header = 1), skipping blank lines and trimming cells', async () => {
    const records = await read('a.csv', '\uFEFFskuCode,price,stock\nA, 100 ,1\n\n"B",200,2\n"C","multi\nline",3\nD,400,4\n', 'csv');
    expect(records.map((r) => r.row)).toEqual([2, 4, 5, 7]);
    expect(records[0]).toMatchObject({ kind: 'csv', fields: { skuCode: 'A', price: '100', stock: '1' } });
    expect(records[2]).toMatchObject({ fields: { price: 'multi\nline' } });
  });

  it('reports rows with the wrong column count and an unclosed quote without stopping', async () => {
    const records = await read('b.csv', 'skuCode,price,stock\nA,1\nB,"2"x,2\nC,3,3\nD,"4,4\n', 'csv');
    expect(records.find((r) => r.row === 2)).toMatchObject({ error: 'expected 3 columns as in the header, got 2', fields: { skuCode: 'A' } });
    // A stray quote stays in the cell (the row then fails its own validation) and the next rows are read.
    expect(records.find((r) => r.row === 3)).toMatchObject({ kind: 'csv', fields: { price: '"2"x' } });
    expect(records.find((r) => r.row === 4)).toMatchObject({ kind: 'csv', fields: { skuCode: 'C' } });
    expect(records.find((r) => r.row >= 5)?.error).toMatch(/malformed CSV: Quote Not Closed/);
  });

  it('refuses unknown, repeated and missing columns as a whole', async () => {
    await expect(read('c.csv', 'skuCode,price,stock,colour\n', 'csv')).rejects.toThrow(UnreadableFile);
    await expect(read('d.csv', 'skuCode,price,stock,price\n', 'csv')).rejects.toThrow(/twice/);
    await expect(read('e.csv', 'skuCode,price\n', 'csv')).rejects.toThrow(/missing column: stock/);
    await expect(read('f.csv', 'price\n', 'csv', 'update')).rejects.toThrow(/skuCode or skuId/);
    await expect(read('g.csv', '', 'csv')).rejects.toThrow(/no header/);
    expect(await read('h.csv', 'skuCode,price,stock,attr.材质,sales.颜色\n', 'csv')).toEqual([]);
  });

  it('numbers NDJSON rows by line and reports invalid JSON', async () => {
    const records = await read('a.ndjson', '{"a":1}\n\nnot json\n{"b":2}', 'ndjson');
    expect(records).toEqual([
      expect.objectContaining({ row: 1, kind: 'json', value: { a: 1 } }),
      expect.objectContaining({ row: 3, error: 'not valid JSON' }),
      expect.objectContaining({ row: 4, kind: 'json', value: { b: 2 } }),
    ]);
    expect(records[2]!.bytes).toBe(Buffer.byteLength('{"a":1}\n\nnot json\n{"b":2}') + 1);
  });

  it('names errors by CSV column', () => {
    expect(csvColumnOf('skus.3.price.amount')).toBe('price');
    expect(csvColumnOf('skus.0.salesAttributes.颜色')).toBe('sales.颜色');
    expect(csvColumnOf('skus.0.stock')).toBe('stock');
    expect(csvColumnOf('attributes.材质')).toBe('attr.材质');
    expect(csvColumnOf('brandId')).toBe('brandId');
  });
});
