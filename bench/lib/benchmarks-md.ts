import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const FOUNDATION_HEADING = '## Foundation (issue 2)';

const INTRO = `# Benchmarks

Run them with \`npm run bench\` (the full run, a few minutes) or \`npm run bench -- --quick\` (a smoke run of
about half a minute, whose figures are not written here). A run prints a markdown report, keeps a copy in
\`bench/results/\` (not committed) and replaces its own section of this file.

What is measured: appends/s of the embedded event store (SQLite) next to raw better-sqlite3 inserts of the
same rows, command latency on a short and on a 100,000-event stream, and GET /healthz req/s through the full
HTTP middleware stack next to a bare Hono app. Every comparison is made within one run, on one machine.

The figures are from the machine named in each section (the development VM: 2 cores, 24 GiB RAM), not a lab:
compare rows of the same run rather than absolute numbers across machines. EventStoreDB, Elasticsearch and
MongoDB were NOT measured here: those servers cannot run on this machine, so every figure is for the embedded
default (SQLite in-process).
`;

/** Writes `section` (which starts with its own "## " heading) into BENCHMARKS.md, replacing only that section. */
export function writeSection(file: string, heading: string, section: string): void {
  const body = section.trimEnd() + '\n';
  if (!existsSync(file)) {
    writeFileSync(file, `${INTRO}\n${body}`);
    return;
  }
  const current = readFileSync(file, 'utf8');
  const lines = current.split('\n');
  const start = lines.findIndex((line) => line.trimEnd() === heading);
  if (start < 0) {
    writeFileSync(file, `${current.trimEnd()}\n\n${body}`);
    return;
  }
  let end = lines.findIndex((line, index) => index > start && /^## /.test(line));
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  writeFileSync(file, `${start > 0 ? `${before}\n` : ''}${body}${after ? `\n${after}` : ''}`.replace(/\n*$/, '\n'));
}
