import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The import rules of docs/design.md §8 (Layout), type imports included: a type import is still a dependency. */

const SRC = resolve(import.meta.dirname, '../../../src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every relative import of every source file, as [importing file's top folder, imported top folder, import line]. */
const edges = sources(SRC).flatMap((file) => {
  const from = relative(SRC, file).split('/')[0]!;
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => ({ file: relative(SRC, file), from, to: relative(SRC, resolve(file, '..', match[1]!)).split('/')[0]! }));
});

const violations = (from: string, allowed: (to: string) => boolean) => edges.filter((edge) => edge.from === from && !allowed(edge.to)).map((edge) => `${edge.file} → ${edge.to}/`);

describe('import rules', () => {
  it('finds the imports it checks', () => {
    expect(edges.filter((edge) => edge.from === 'http').length).toBeGreaterThan(50);
  });

  it('http/ never imports adapters/ (only main.ts and runtime/ pick adapters)', () => {
    expect(violations('http', (to) => to !== 'adapters')).toEqual([]);
  });

  it('domain/ imports only domain/ and kernel/', () => {
    expect(violations('domain', (to) => to === 'domain' || to === 'kernel')).toEqual([]);
  });

  it('commands/ and queries/ do not import each other (what both need lives in projections/, domain/ or kernel/)', () => {
    expect([...violations('commands', (to) => to !== 'queries'), ...violations('queries', (to) => to !== 'commands')]).toEqual([]);
  });
});
