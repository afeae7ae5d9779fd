import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError, ValidationError, type FieldError } from '../../kernel/errors.js';
import { frontendCategoryStream, type FrontendCategory } from '../../domain/catalog/frontend-category.js';
import { categoryStream, MAX_CATEGORY_DEPTH } from '../../domain/catalog/category.js';
import { frontendPath } from './lookups.js';

export interface FrontendCategoryResult {
  id: string;
  category: Extract<FrontendCategory, { status: 'active' }>;
  version: number;
  position: number;
}

/** Every backend category of a mapping must exist (read from its stream). */
async function requireBackendCategories(deps: Deps, ids: string[]): Promise<void> {
  const errors: FieldError[] = [];
  for (const [index, id] of ids.entries()) {
    const { state } = await deps.handlers.category.load(categoryStream(id));
    if (state.status !== 'active') errors.push({ path: `backendCategoryIds.${index}`, message: `no category ${id}` });
  }
  if (errors.length > 0) throw new ValidationError('unknown backend category', errors);
}

async function parentPath(deps: Deps, parentId: string): Promise<string[]> {
  const path = await frontendPath(deps, parentId);
  if (path.length >= MAX_CATEGORY_DEPTH) throw new ValidationError('the frontend category tree is too deep', [{ path: 'parentId', message: `at most ${MAX_CATEGORY_DEPTH} levels` }]);
  return path;
}

export async function createFrontendCategory(
  deps: Deps,
  input: { name: string; parentId?: string | null; backendCategoryIds: string[] },
  metadata: EventMetadata,
): Promise<FrontendCategoryResult> {
  if (input.parentId) await parentPath(deps, input.parentId);
  await requireBackendCategories(deps, input.backendCategoryIds);
  const id = ulid();
  const result = await deps.handlers.frontendCategory.handle(
    frontendCategoryStream(id),
    { type: 'CreateFrontendCategory', frontendCategoryId: id, name: input.name, parentId: input.parentId ?? null, backendCategoryIds: input.backendCategoryIds, at: deps.clock.now().toISOString() },
    { metadata },
  );
  return toResult(result);
}

export async function changeFrontendCategory(
  deps: Deps,
  input: { frontendCategoryId: string; name?: string; parentId?: string | null; backendCategoryIds?: string[]; expectedVersion?: number },
  metadata: EventMetadata,
): Promise<FrontendCategoryResult> {
  const stream = frontendCategoryStream(input.frontendCategoryId);
  if ((await deps.handlers.frontendCategory.load(stream)).state.status !== 'active') throw new NotFoundError('frontend category');
  const path = input.parentId ? await parentPath(deps, input.parentId) : undefined;
  if (input.backendCategoryIds) await requireBackendCategories(deps, input.backendCategoryIds);
  const result = await deps.handlers.frontendCategory.handle(
    stream,
    { type: 'ChangeFrontendCategory', name: input.name, parentId: input.parentId, parentPath: path, backendCategoryIds: input.backendCategoryIds, at: deps.clock.now().toISOString() },
    { metadata, expectedRevision: input.expectedVersion },
  );
  return toResult(result);
}

function toResult(result: { state: FrontendCategory; revision: number; position: number }): FrontendCategoryResult {
  const category = result.state as FrontendCategoryResult['category'];
  return { id: category.frontendCategoryId, category, version: result.revision, position: result.position };
}
