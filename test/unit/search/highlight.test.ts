import { describe, expect, it } from 'vitest';
import { highlight, queryTerms } from '../../../src/search/text.js';

describe('highlight', () => {
  it('marks the words of each query in the same title, query after query, escaping the rest', () => {
    const title = '金庸武侠小说全集 <典藏版> & Kindle';
    expect(highlight(title, queryTerms('武侠小说'))).toBe('金庸<em>武侠小说</em>全集 &lt;典藏版&gt; &amp; Kindle');
    expect(highlight(title, queryTerms('kindle'))).toBe('金庸武侠小说全集 &lt;典藏版&gt; &amp; <em>Kindle</em>');
    expect(highlight(title, queryTerms('典藏'))).toBe(highlight(title, queryTerms('典藏')));
    expect(highlight(title, [])).toBe('金庸武侠小说全集 &lt;典藏版&gt; &amp; Kindle');
  });
});
