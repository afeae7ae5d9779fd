import type { Deps } from '../../deps.js';
import { ValidationError } from '../../kernel/errors.js';
import { InvalidSearchQuery, type SuggestQuery, type Suggestion } from '../../ports/search-index.js';

/** Completions of what the shopper has typed (SearchIndex.suggest). */
export async function suggestProducts(deps: Pick<Deps, 'searchIndex'>, query: SuggestQuery): Promise<Suggestion[]> {
  try {
    return await deps.searchIndex.suggest(query);
  } catch (error) {
    if (error instanceof InvalidSearchQuery) throw new ValidationError('the suggestion query is not valid', error.problems.map((message) => ({ path: '(query)', message })));
    throw error;
  }
}
