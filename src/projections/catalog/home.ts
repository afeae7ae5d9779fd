import type { ViewProjection } from '../../kernel/view-projection.js';
import { HOME_PAGE_STREAM, type HomePageContent, type HomePageEvent } from '../../domain/catalog/home-page.js';

export const HOME_PAGE = 'home_page';
export const HOME_PAGE_ID = 'home';

export type HomePageDoc = HomePageContent & {
  [key: string]: unknown;
  id: string;
  /** Revision of the home-page stream (ETag). */
  version: number;
  publishedAt: string;
  position: number;
};

/** The published home page as admins composed it (references unresolved: they resolve when read). */
export const homePageProjection: ViewProjection = {
  name: 'home',
  collections: [HOME_PAGE],
  route: (event) => (event.streamId === HOME_PAGE_STREAM && event.type === 'HomePagePublished' ? [{ collection: HOME_PAGE, id: HOME_PAGE_ID }] : []),
  evolve(_doc, event) {
    const { at, ...content } = (event as unknown as HomePageEvent).data;
    const doc: HomePageDoc = { id: HOME_PAGE_ID, ...content, version: event.revision, publishedAt: at, position: event.position };
    return doc;
  },
};
