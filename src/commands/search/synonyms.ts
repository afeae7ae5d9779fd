import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { CommandHandler } from '../../kernel/command-handler.js';
import { ValidationError, type FieldError } from '../../kernel/errors.js';
import { SYNONYM_LIMITS, SYNONYMS_STREAM, synonymsDecider, type SynonymCommand, type SynonymEvent, type Synonyms } from '../../domain/search/synonyms.js';
import { tokenize } from '../../search/text.js';

const handlers = new WeakMap<Deps['store'], CommandHandler<SynonymCommand, SynonymEvent, Synonyms>>();
const handlerOf = (deps: Pick<Deps, 'store'>) => {
  let handler = handlers.get(deps.store);
  if (!handler) handlers.set(deps.store, (handler = new CommandHandler(deps.store, synonymsDecider, 1)));
  return handler;
};

export interface SynonymWrite {
  groupId: string;
  terms: string[];
  version: number;
  position: number;
}

/**
 * Creates or replaces a synonym group. Terms are trimmed and kept once each (compared as the analyzer
 * folds them: `T-Shirt` and `t-shirt` are one); each must hold a word; 2–20 terms.
 */
export async function setSynonymGroup(deps: Pick<Deps, 'store' | 'clock'>, input: { groupId: string; terms: string[] }, metadata: EventMetadata): Promise<SynonymWrite> {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  const terms: string[] = [];
  input.terms.forEach((raw, i) => {
    const term = raw.trim().replace(/\s+/g, ' ');
    const words = tokenize(term).join(' ');
    if (term.length > SYNONYM_LIMITS.maxTermLength) errors.push({ path: `terms.${i}`, message: `at most ${SYNONYM_LIMITS.maxTermLength} characters` });
    else if (words === '') errors.push({ path: `terms.${i}`, message: 'holds no word' });
    else if (!seen.has(words)) {
      seen.add(words);
      terms.push(term);
    }
  });
  if (errors.length === 0 && (terms.length < SYNONYM_LIMITS.minTerms || terms.length > SYNONYM_LIMITS.maxTerms)) {
    errors.push({ path: 'terms', message: `${SYNONYM_LIMITS.minTerms}–${SYNONYM_LIMITS.maxTerms} different terms` });
  }
  if (errors.length > 0) throw new ValidationError('the synonym group is not valid', errors);
  const handler = handlerOf(deps);
  const { state } = await handler.load(SYNONYMS_STREAM);
  if (!(input.groupId in state.groups) && Object.keys(state.groups).length >= SYNONYM_LIMITS.maxGroups) {
    throw new ValidationError('too many synonym groups', [{ path: 'groupId', message: `at most ${SYNONYM_LIMITS.maxGroups} groups` }]);
  }
  const result = await handler.handle(SYNONYMS_STREAM, { type: 'SetSynonymGroup', groupId: input.groupId, terms, at: deps.clock.now().toISOString() }, { metadata });
  return { groupId: input.groupId, terms, version: result.revision, position: result.position };
}

/** Deletes a synonym group (NotFoundError when there is none). */
export async function deleteSynonymGroup(deps: Pick<Deps, 'store' | 'clock'>, groupId: string, metadata: EventMetadata): Promise<{ version: number; position: number }> {
  const result = await handlerOf(deps).handle(SYNONYMS_STREAM, { type: 'DeleteSynonymGroup', groupId, at: deps.clock.now().toISOString() }, { metadata });
  return { version: result.revision, position: result.position };
}
