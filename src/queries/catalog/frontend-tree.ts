import type { Deps } from '../../deps.js';
import { FRONTEND_CATEGORIES, type FrontendCategoryDoc } from '../../projections/catalog/documents.js';

export interface FrontendCategoryNode {
  id: string;
  name: string;
  children: FrontendCategoryNode[];
}

/** The storefront's category tree, roots first, siblings in creation order (ids are ulids). */
export async function frontendCategoryTree(deps: Pick<Deps, 'views'>): Promise<FrontendCategoryNode[]> {
  const docs: FrontendCategoryDoc[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: FrontendCategoryDoc[]; nextCursor: string | null } = await deps.views.find<FrontendCategoryDoc>(FRONTEND_CATEGORIES, { limit: 500, cursor });
    docs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);

  const nodes = new Map(docs.map((doc) => [doc.id, { id: doc.id, name: doc.name, children: [] as FrontendCategoryNode[] }]));
  const roots: FrontendCategoryNode[] = [];
  for (const doc of docs) {
    const node = nodes.get(doc.id)!;
    const parent = doc.parentId === null ? undefined : nodes.get(doc.parentId);
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}
