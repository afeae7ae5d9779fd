import { describe, expect, it } from 'vitest';
import { BOOSTS, editDistance, planQuery, typoDistance, withTypos } from '../../../src/search/query.js';
import { pinyinTerms, wordPinyin } from '../../../src/search/pinyin.js';
import { phraseKeys, suggestKey, suggestionPhrases } from '../../../src/search/suggest.js';

describe('query understanding', () => {
  it('counts Damerau-Levenshtein edits (a transposition is one) and stops past the bound', () => {
    expect(editDistance('iphnoe', 'iphone', 1)).toBe(1);
    expect(editDistance('wireles', 'wireless', 1)).toBe(1);
    expect(editDistance('headphnoes', 'headphone', 2)).toBe(2);
    expect(editDistance('kitten', 'sitting', 2)).toBe(3); // 3 edits: past the bound
    expect(editDistance('same', 'same', 0)).toBe(0);
  });

  it('allows typos from 5 letters (1) and 9 letters (2), Latin words only', () => {
    expect(['case', 'phone', 'headphone', '手机壳', 'abc12'].map(typoDistance)).toEqual([0, 1, 2, 0, 0]);
  });

  it('plans synonym phrases as one clause whose alternatives are the group', () => {
    // ICU reads 笔记本电脑 as 笔记 + 本 + 电脑 and 笔记本 alone as 笔记 + 本: members are compared as words.
    const plan = planQuery('笔记本电脑 轻薄', [['笔记本', '笔记本电脑']]);
    expect(plan.clauses.map((clause) => clause.word)).toEqual(['笔记 本 电脑', '轻薄']);
    expect(plan.clauses[0]!.alternatives).toEqual([
      { terms: ['笔记', '本', '电脑'], boost: BOOSTS.exact },
      { terms: ['笔记', '本'], boost: BOOSTS.synonym },
    ]);
    const tee = planQuery('tee', [['tee', 't-shirt']]);
    expect(tee.clauses[0]!.alternatives[1]).toEqual({ terms: ['t', 'shirt'], boost: BOOSTS.synonym / 2 });
  });

  it('adds pinyin to Latin words and typo candidates only to the words given', () => {
    const plan = planQuery('shouji iphnoe');
    expect(plan.clauses[0]!.alternatives.map((a) => a.terms[0])).toEqual(['shouji', '~shouji']);
    expect(plan.clauses[1]!.typo).toEqual({ word: 'iphno', typed: 'iphnoe', distance: 1 });
    const typed = withTypos(plan, new Map([['iphno', [{ term: 'iphone', distance: 1, frequency: 3 }]]]));
    expect(typed.clauses[1]!.alternatives.at(-1)).toEqual({ terms: ['iphone'], boost: BOOSTS.typo });
    expect(typed.clauses[0]).toBe(plan.clauses[0]);
  });
});

describe('pinyin and suggestion keys', () => {
  it('reads words in context and marks pinyin terms', () => {
    expect(wordPinyin('银行')).toEqual({ full: 'yinhang', initials: 'yh' });
    expect(wordPinyin('绿色')?.full).toBe('lvse');
    expect(wordPinyin('abc')).toBeNull();
    expect(pinyinTerms(['手机', '壳', 'iphone'])).toEqual(['~shouji', '~sj', '~ke']);
  });

  it('offers brands, category names and title phrases under their text, pinyin and initials', () => {
    expect(suggestionPhrases({ title: '金庸武侠小说 iPhone 15', brand: { id: 'b', name: 'Sony' }, categoryNames: ['图书'] })).toEqual(['sony', '图书', '金庸', '武侠', '金庸武侠', '小说', '武侠小说', 'iphone']);
    expect(phraseKeys('武侠小说')).toEqual(['武侠小说', 'wuxiaxiaoshuo', 'wxxs']);
    expect(phraseKeys('华为mate60')).toEqual(['华为mate60', 'huaweimate60', 'hwmate60']);
    expect(suggestKey(' Wuxia X！')).toBe('wuxiax');
  });
});
