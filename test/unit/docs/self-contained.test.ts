import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** A clone needs nothing outside it: the docs link only to files of the repository, never to ../shared or a web page. */
const ROOT = resolve(import.meta.dirname, '../../..');
const markdown = ['README.md', 'BENCHMARKS.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

function sourceFiles(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(directory, entry.name)) : /\.(ts|mjs|js)$/.test(entry.name) ? [join(directory, entry.name)] : [],
  );
}

describe('the repository is self-contained', () => {
  it.each(markdown)('%s links only to files of the repository', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
    for (const target of targets) {
      if (target.startsWith('#')) continue;
      expect(target, `${file} links to a web page`).not.toMatch(/^[a-z]+:/i);
      const path = resolve(dirname(join(ROOT, file)), target.split('#')[0]!);
      expect(relative(ROOT, path), `${file} links outside the repository`).not.toMatch(/^\.\./);
      expect(existsSync(path), `${file} links to a missing ${target}`).toBe(true);
    }
    expect(text).not.toMatch(/\.\.\/shared\//);
  });

  it('docs and comments name the contract and the design pages of docs/', () => {
    for (const file of [...markdown, ...['src', 'test', 'bench'].flatMap(sourceFiles)]) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, file).not.toMatch(/\.\.\/shared\/(API|DESIGN|STYLE)\.md|seed\/ecommerce-system-design/);
    }
    expect(existsSync(join(ROOT, 'docs/api.md'))).toBe(true);
    expect(existsSync(join(ROOT, 'docs/design.md'))).toBe(true);
  });
});
