import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse, type CsvError } from 'csv-parse';
import type { JobFormat } from '../../../domain/catalog/bulk-job.js';

/**
 * One record of an uploaded file. `row` is the line number where the record starts (1-based; in a CSV
 * the header is line 1, so the first data row is 2). `error` is set when the record itself is
 * malformed (bad quoting, wrong column count, invalid JSON).
 */
export type FileRecord = { row: number; /** bytes of the file up to the end of this record */ bytes: number } & (
  | { kind: 'csv'; fields: Record<string, string>; error?: undefined }
  | { kind: 'json'; value: unknown; error?: undefined }
  /** `fields`: what could be read of a row with the wrong column count (to tell which product it belonged to). */
  | { kind?: undefined; error: string; fields?: Record<string, string> }
);

/** A file whose header (or first line) makes it unreadable as a whole: the job fails. */
export class UnreadableFile extends Error {}

/** Streams the records of a spooled file one by one; memory stays flat whatever the file's size. */
export function readRecords(file: string, format: JobFormat, checkHeader: (columns: string[]) => void): AsyncIterable<FileRecord> {
  const source = createReadStream(file);
  return format === 'csv' ? csvRecords(source, checkHeader) : ndjsonRecords(source);
}

async function* ndjsonRecords(source: NodeJS.ReadableStream): AsyncGenerator<FileRecord> {
  let row = 0;
  let bytes = 0;
  for await (const line of createInterface({ input: source, crlfDelay: Infinity })) {
    row += 1;
    bytes += Buffer.byteLength(line) + 1;
    const text = row === 1 ? line.replace(/^\uFEFF/, '') : line;
    if (text.trim() === '') continue;
    try {
      yield { row, bytes, kind: 'json', value: JSON.parse(text) as unknown };
    } catch {
      yield { row, bytes, error: 'not valid JSON' };
    }
  }
}

async function* csvRecords(source: NodeJS.ReadableStream, checkHeader: (columns: string[]) => void): AsyncGenerator<FileRecord> {
  const parser = source.pipe(parse({ bom: true, info: true, relax_column_count: true, relax_quotes: true, skip_records_with_error: true, skip_empty_lines: false }));
  const skipped: FileRecord[] = [];
  let bytes = 0;
  parser.on('skip', (error: CsvError) => skipped.push({ row: Number(error.lines) || 0, bytes, error: `malformed CSV: ${error.message}` }));
  let header: string[] | null = null;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; bytes: number } }>) {
    bytes = info.bytes;
    const newlines = record.reduce((count, field) => count + (field.match(/\n/g)?.length ?? 0), 0);
    const row = info.lines - newlines;
    while (skipped.length > 0 && skipped[0]!.row < row) yield skipped.shift()!;
    if (record.length === 1 && record[0]!.trim() === '') continue; // an empty line
    if (!header) {
      header = record.map((column) => column.trim());
      checkHeader(header);
      continue;
    }
    const fields: Record<string, string> = {};
    header.forEach((column, index) => {
      const value = record[index]?.trim() ?? '';
      if (value !== '') fields[column] = value;
    });
    if (record.length !== header.length) yield { row, bytes, error: `expected ${header.length} columns as in the header, got ${record.length}`, fields };
    else yield { row, bytes, kind: 'csv', fields };
  }
  yield* skipped;
  if (!header) throw new UnreadableFile('the CSV file has no header row');
}
