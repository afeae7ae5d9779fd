import type { Deps } from '../../deps.js';
import { SEARCH_SYNONYMS, type SynonymEntry } from '../../projections/search/state.js';
import { SEARCH_PROJECTION } from '../../projections/search/search.js';

export interface SynonymGroup {
  id: string;
  terms: string[];
}

/** Every synonym group, by id (the search projection's `search_synonyms`). */
export async function listSynonymGroups(deps: Pick<Deps, 'views'>): Promise<SynonymGroup[]> {
  const groups: SynonymGroup[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: SynonymEntry[]; nextCursor: string | null } = await deps.views.find<SynonymEntry>(SEARCH_SYNONYMS, { limit: 1000, cursor });
    for (const item of page.items) groups.push({ id: item.id, terms: item.terms });
    cursor = page.nextCursor;
  } while (cursor);
  return groups;
}

/**
 * The synonym groups searches apply, read again only when the search projection's state has moved (one
 * checkpoint read per search). The same array is handed out until then, so the engines' analysis of the
 * groups (src/search/query.ts) is cached with it.
 */
const cached = new WeakMap<Deps['views'], { checkpoint: number; groups: string[][] }>();

export async function synonymGroups(deps: Pick<Deps, 'views'>): Promise<string[][]> {
  const checkpoint = await deps.views.checkpoint(SEARCH_PROJECTION);
  const known = cached.get(deps.views);
  if (known && known.checkpoint === checkpoint) return known.groups;
  const groups = (await listSynonymGroups(deps)).map((group) => group.terms);
  cached.set(deps.views, { checkpoint, groups });
  return groups;
}
