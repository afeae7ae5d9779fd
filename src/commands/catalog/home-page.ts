import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { ValidationError, type FieldError } from '../../kernel/errors.js';
import { HOME_PAGE_STREAM, type HomePageContent } from '../../domain/catalog/home-page.js';
import { categoryStream } from '../../domain/catalog/category.js';
import { frontendCategoryStream } from '../../domain/catalog/frontend-category.js';
import { productStream } from '../../domain/catalog/product.js';

export interface PublishedHomePage {
  content: HomePageContent;
  version: number;
  position: number;
}

/**
 * Publishes the home page (If-Match: `expectedVersion`). Every referenced frontend category, backend
 * category and product must exist, read from their streams (a product need not be listed: the page
 * skips it until it is).
 */
export async function publishHomePage(
  deps: Deps,
  input: { content: HomePageContent; expectedVersion?: number },
  metadata: EventMetadata,
): Promise<PublishedHomePage> {
  const errors = await unknownReferences(deps, input.content);
  if (errors.length > 0) throw new ValidationError('the home page refers to things that do not exist', errors);
  const result = await deps.handlers.homePage.handle(
    HOME_PAGE_STREAM,
    { type: 'PublishHomePage', content: input.content, at: deps.clock.now().toISOString() },
    { metadata, expectedRevision: input.expectedVersion },
  );
  return { content: input.content, version: result.revision, position: result.position };
}

async function unknownReferences(deps: Deps, content: HomePageContent): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  const frontendExists = async (id: string) => (await deps.handlers.frontendCategory.load(frontendCategoryStream(id))).state.status === 'active';
  const categoryExists = async (id: string) => (await deps.handlers.category.load(categoryStream(id))).state.status === 'active';
  const productExists = async (id: string) => (await deps.handlers.product.load(productStream(id))).state.status !== 'none';

  for (const [index, id] of content.featuredFrontendCategoryIds.entries()) {
    if (!(await frontendExists(id))) errors.push({ path: `featuredFrontendCategoryIds.${index}`, message: `no frontend category ${id}` });
  }
  for (const [index, collection] of content.collections.entries()) {
    const path = `collections.${index}`;
    if (collection.kind === 'manual') {
      for (const [position, id] of collection.productIds.entries()) {
        if (!(await productExists(id))) errors.push({ path: `${path}.productIds.${position}`, message: `no product ${id}` });
      }
      continue;
    }
    const { frontendCategoryId, categoryId } = collection.rule;
    if (frontendCategoryId !== undefined && !(await frontendExists(frontendCategoryId))) {
      errors.push({ path: `${path}.rule.frontendCategoryId`, message: `no frontend category ${frontendCategoryId}` });
    }
    if (categoryId !== undefined && !(await categoryExists(categoryId))) errors.push({ path: `${path}.rule.categoryId`, message: `no category ${categoryId}` });
  }
  return errors;
}
