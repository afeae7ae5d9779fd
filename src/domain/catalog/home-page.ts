import type { Decider } from '../../kernel/decider.js';
import { canonicalJson } from './canonical.js';

/**
 * The app's home page (stream `home-page`), composed by admins: banners, featured frontend categories
 * and product collections, picked by hand or by a rule run as a search when the page is read. Each
 * publication replaces the whole page. That the referenced categories and products exist is checked by
 * the command handler against their streams.
 */
export const COLLECTION_SORTS = ['sales', 'newest', 'price_asc'] as const;
export type CollectionSort = (typeof COLLECTION_SORTS)[number];

export interface Banner {
  imageUrl: string;
  linkUrl?: string;
  title?: string;
}

/** At most one of frontendCategoryId and categoryId; neither: the whole store. */
export interface CollectionRule {
  frontendCategoryId?: string;
  categoryId?: string;
  sort: CollectionSort;
  limit: number;
}

export type Collection = { title: string; kind: 'manual'; productIds: string[] } | { title: string; kind: 'rule'; rule: CollectionRule };

export interface HomePageContent {
  banners: Banner[];
  featuredFrontendCategoryIds: string[];
  collections: Collection[];
}

export type HomePageEvent = { type: 'HomePagePublished'; data: HomePageContent & { at: string } };
export type HomePageCommand = { type: 'PublishHomePage'; content: HomePageContent; at: string };
export type HomePage = { status: 'none' } | { status: 'published'; content: HomePageContent; publishedAt: string };

export const homePageDecider: Decider<HomePageCommand, HomePageEvent, HomePage> = {
  initialState: () => ({ status: 'none' }),
  evolve(_state, event) {
    const { at, ...content } = event.data;
    return { status: 'published', content, publishedAt: at };
  },
  decide(command, state) {
    // Publishing the page as it is appends nothing: a resent request is a no-op.
    if (state.status === 'published' && canonicalJson(state.content) === canonicalJson(command.content)) return [];
    return [{ type: 'HomePagePublished', data: { ...command.content, at: command.at } }];
  },
};

export const HOME_PAGE_STREAM = 'home-page';
