import type { Decider } from '../../kernel/decider.js';
import { NotFoundError } from '../../kernel/errors.js';

/**
 * Search synonyms (stream `search-synonyms`), managed by admins: groups of words or phrases a query may
 * use for one another (`笔记本` ↔ `笔记本电脑`, `tee` ↔ `t-shirt`). The search projection keeps the groups
 * (collection `search_synonyms`) and searches apply them when they run, so a change takes effect without
 * reindexing a product.
 */
export const SYNONYMS_STREAM = 'search-synonyms';
export const SYNONYM_LIMITS = { minTerms: 2, maxTerms: 20, maxTermLength: 50, maxGroups: 10_000 } as const;

export type SynonymEvent =
  | { type: 'SynonymGroupSet'; data: { groupId: string; terms: string[]; at: string } }
  | { type: 'SynonymGroupDeleted'; data: { groupId: string; at: string } };

export type SynonymCommand = { type: 'SetSynonymGroup'; groupId: string; terms: string[]; at: string } | { type: 'DeleteSynonymGroup'; groupId: string; at: string };

export interface Synonyms {
  groups: Record<string, string[]>;
}

export const synonymsDecider: Decider<SynonymCommand, SynonymEvent, Synonyms> = {
  initialState: () => ({ groups: {} }),
  evolve(state, event) {
    const groups = { ...state.groups };
    if (event.type === 'SynonymGroupSet') groups[event.data.groupId] = event.data.terms;
    else delete groups[event.data.groupId];
    return { groups };
  },
  decide(command, state) {
    const current = state.groups[command.groupId];
    if (command.type === 'DeleteSynonymGroup') {
      if (!current) throw new NotFoundError('synonym group');
      return [{ type: 'SynonymGroupDeleted', data: { groupId: command.groupId, at: command.at } }];
    }
    if (current && current.length === command.terms.length && current.every((term, i) => term === command.terms[i])) return [];
    return [{ type: 'SynonymGroupSet', data: { groupId: command.groupId, terms: command.terms, at: command.at } }];
  },
};
