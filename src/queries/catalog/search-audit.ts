import type { Deps } from '../../deps.js';
import { SEARCH_PRODUCTS, type ProductEntry } from '../../projections/search/state.js';
import { SEARCH_LIMITS } from '../../ports/search-index.js';
import { synonymGroups } from './search-synonyms.js';

export interface AuditFinding {
  productId: string;
  title: string;
  /** `not-indexed`: listed, but the index has no listed document for it; `not-found`: its own title does not find it. */
  problem: 'not-indexed' | 'not-found';
}

export interface AuditReport {
  /** Listed products checked. */
  checked: number;
  findings: AuditFinding[];
}

/**
 * Recall audit (`bazaar search audit`): every listed product (from the search projection's state) must be
 * in the index, listed, and found by a search for its own title. The search is narrowed to the product's
 * brand and category so that the pages to look through stay few; a title longer than a query may be is
 * cut at the limit, as a shopper's paste would be.
 */
export async function auditSearchRecall(
  deps: Pick<Deps, 'views' | 'searchIndex'>,
  options: { limit?: number; onProgress?: (checked: number) => void } = {},
): Promise<AuditReport> {
  const findings: AuditFinding[] = [];
  const synonyms = await synonymGroups(deps);
  let checked = 0;
  let cursor: string | null = null;
  do {
    const page: { items: ProductEntry[]; nextCursor: string | null } = await deps.views.find<ProductEntry>(SEARCH_PRODUCTS, { limit: 500, cursor });
    for (const entry of page.items) {
      if (entry.product?.status !== 'listed') continue;
      if (options.limit !== undefined && checked >= options.limit) return { checked, findings };
      checked++;
      options.onProgress?.(checked);
      const doc = await deps.searchIndex.get(entry.id);
      if (!doc || doc.status !== 'listed') {
        findings.push({ productId: entry.id, title: entry.product.title, problem: 'not-indexed' });
        continue;
      }
      if (!(await findsItself(deps, doc.id, doc.title, doc.brand.id, doc.categoryId, synonyms))) findings.push({ productId: doc.id, title: doc.title, problem: 'not-found' });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { checked, findings };
}

async function findsItself(deps: Pick<Deps, 'searchIndex'>, id: string, title: string, brandId: string, categoryId: string, synonyms: string[][]): Promise<boolean> {
  const size = SEARCH_LIMITS.maxSize;
  const q = title.slice(0, SEARCH_LIMITS.maxQueryLength);
  for (let page = 1; page * size <= SEARCH_LIMITS.maxWindow; page++) {
    const result = await deps.searchIndex.search({ q, brandIds: [brandId], categoryIds: [categoryId], size, page, synonyms });
    if (result.hits.some((hit) => hit.id === id)) return true;
    if (page * size >= result.total) return false;
  }
  return false;
}
