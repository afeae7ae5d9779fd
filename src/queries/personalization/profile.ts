import type { Deps } from '../../deps.js';
import { DIMENSIONS, isActive, strength, strengthWord, weightAt, type Dimension, type StrengthWord } from '../../domain/personalization/profile.js';
import { SHOPPER_PROFILES, type ProfileDoc } from '../../projections/personalization/affinity.js';
import { BRANDS, CATEGORIES, type CategoryDoc } from '../../projections/catalog/documents.js';

export interface ProfileEntry {
  kind: 'category' | 'brand' | 'attribute';
  /** Category or brand id; `name=value` for an attribute. */
  key: string;
  name: string;
  strength: StrengthWord;
  /** 0..1. */
  score: number;
  /** "武侠 (category) — strong". */
  text: string;
}

export interface PersonalizationView {
  enabled: boolean;
  /** Whether searches are reordered for this shopper now. */
  active: boolean;
  signals: number;
  updatedAt: string | null;
  clearedAt: string | null;
  entries: ProfileEntry[];
  summary: string;
}

const KIND: Record<Dimension, ProfileEntry['kind']> = { categories: 'category', brands: 'brand', attributes: 'attribute' };
const KIND_WORD: Record<ProfileEntry['kind'], string> = { category: 'category', brand: 'brand', attribute: 'attribute' };

export async function getProfileDoc(deps: Pick<Deps, 'views'>, userId: string): Promise<ProfileDoc | null> {
  return deps.views.get<ProfileDoc>(SHOPPER_PROFILES, userId);
}

/** What the profile of `userId` holds, in words: strongest first. Only ever called with the signed-in user's id. */
export async function myPersonalization(deps: Pick<Deps, 'views' | 'clock'>, userId: string): Promise<PersonalizationView> {
  const doc = await getProfileDoc(deps, userId);
  const now = deps.clock.now().getTime();
  if (!doc) return { enabled: true, active: false, signals: 0, updatedAt: null, clearedAt: null, entries: [], summary: 'Nothing yet: searches are in their plain order.' };
  const entries: ProfileEntry[] = [];
  for (const dimension of DIMENSIONS) {
    for (const [key, weight] of Object.entries(doc[dimension])) {
      const score = strength(weightAt(doc, weight, now));
      if (score <= 0) continue;
      const kind = KIND[dimension];
      const name = kind === 'attribute' ? key.replace('=', ': ') : await nameOf(deps, kind, key);
      const word = strengthWord(score);
      entries.push({ kind, key, name, strength: word, score: Math.round(score * 1000) / 1000, text: `${name} (${KIND_WORD[kind]}) — ${word}` });
    }
  }
  entries.sort((a, b) => b.score - a.score || (a.text < b.text ? -1 : 1));
  const active = isActive(doc, now);
  const summary = !doc.enabled
    ? 'Personalization is off: searches are in their plain order and nothing new is recorded.'
    : entries.length === 0
      ? 'Nothing yet: searches are in their plain order.'
      : `Searches put first what matches: ${entries.slice(0, 3).map((entry) => entry.text).join('; ')}.`;
  return { enabled: doc.enabled, active, signals: doc.signals, updatedAt: doc.updatedAt, clearedAt: doc.clearedAt, entries, summary };
}

async function nameOf(deps: Pick<Deps, 'views'>, kind: 'category' | 'brand', id: string): Promise<string> {
  if (kind === 'category') return (await deps.views.get<CategoryDoc>(CATEGORIES, id))?.name ?? id;
  return ((await deps.views.get<{ name: string }>(BRANDS, id))?.name as string | undefined) ?? id;
}
