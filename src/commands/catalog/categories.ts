import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { ConflictError, NotFoundError, VersionConflict } from '../../kernel/errors.js';
import { categoryStream, CATEGORY_ROOT, MAX_CATEGORY_DEPTH, type ActiveCategory, type Category } from '../../domain/catalog/category.js';
import { normalizeName, type AttributeKind, type AttributeTemplate } from '../../domain/catalog/attributes.js';
import { CATEGORIES, type CategoryDoc } from '../../projections/catalog/documents.js';
import { categoryChain, templatesOf } from './lookups.js';
import { releaseAll, releaseUnique, reserveUnique, type UniqueValue } from './uniqueness.js';

export interface CategoryResult {
  id: string;
  category: ActiveCategory;
  version: number;
  position: number;
}

const at = (deps: Deps) => deps.clock.now().toISOString();

/** Sibling names are unique (case- and width-insensitive): one reservation per (parent, name). */
const siblingName = (parentId: string | null, name: string): UniqueValue => ({ kind: 'category-name', value: `${parentId ?? CATEGORY_ROOT}/${normalizeName(name)}` });
const nameTaken = () => new ConflictError('CATEGORY_NAME_TAKEN', 'a category with this name already exists under the same parent');

async function holdsName(deps: Deps, categoryId: string, unique: UniqueValue): Promise<boolean> {
  const { state } = await deps.handlers.category.load(categoryStream(categoryId));
  return state.status === 'active' && siblingName(state.parentId, state.name).value === unique.value;
}

async function reserveName(deps: Deps, unique: UniqueValue, categoryId: string, metadata: EventMetadata) {
  await reserveUnique(deps, unique, categoryId, nameTaken(), (owner) => holdsName(deps, owner, unique), metadata);
}

export async function createCategory(deps: Deps, input: { name: string; parentId?: string | null }, metadata: EventMetadata): Promise<CategoryResult> {
  const parentId = input.parentId ?? null;
  if (parentId !== null) {
    const chain = await categoryChain(deps, parentId, 'parentId');
    if (chain.length >= MAX_CATEGORY_DEPTH) throw new ConflictError('CATEGORY_TOO_DEEP', `categories nest at most ${MAX_CATEGORY_DEPTH} levels`);
  }
  const categoryId = ulid();
  const unique = siblingName(parentId, input.name);
  await reserveName(deps, unique, categoryId, metadata);
  try {
    const result = await deps.handlers.category.handle(categoryStream(categoryId), { type: 'CreateCategory', categoryId, name: input.name, parentId, at: at(deps) }, { metadata });
    return categoryResult(result);
  } catch (error) {
    await releaseAll(deps, [{ unique, ownerId: categoryId }], metadata);
    throw error;
  }
}

/** Renames and/or moves a category; the new (parent, name) is reserved first and the old one released after. */
export async function changeCategory(
  deps: Deps,
  input: { categoryId: string; name?: string; parentId?: string | null; expectedVersion?: number },
  metadata: EventMetadata,
): Promise<CategoryResult> {
  const stream = categoryStream(input.categoryId);
  const { state } = await deps.handlers.category.load(stream);
  if (state.status !== 'active') throw new NotFoundError('category');
  const parentPath = input.parentId ? (await categoryChain(deps, input.parentId, 'parentId')).map((category) => category.categoryId) : [];
  const before = siblingName(state.parentId, state.name);
  const after = siblingName(input.parentId === undefined ? state.parentId : input.parentId, input.name ?? state.name);
  const renamed = before.value !== after.value;
  if (renamed) await reserveName(deps, after, input.categoryId, metadata);
  try {
    const result = await deps.handlers.category.handle(
      stream,
      { type: 'ChangeCategory', name: input.name, parentId: input.parentId, parentPath, at: at(deps) },
      { metadata, expectedRevision: input.expectedVersion },
    );
    if (renamed) await releaseUnique(deps, before, input.categoryId, metadata);
    return categoryResult(result);
  } catch (error) {
    if (renamed) await releaseAll(deps, [{ unique: after, ownerId: input.categoryId }], metadata);
    throw error;
  }
}

/**
 * Deletes a leaf category that no product is filed under. The counts come from the catalog view once
 * it has caught up with the store (a child created in the same instant could slip through: documented).
 */
export async function deleteCategory(deps: Deps, input: { categoryId: string; expectedVersion?: number | undefined }, metadata: EventMetadata): Promise<{ position: number }> {
  const stream = categoryStream(input.categoryId);
  const { state, revision } = await deps.handlers.category.load(stream);
  if (state.status !== 'active') throw new NotFoundError('category');
  if (input.expectedVersion !== undefined && input.expectedVersion !== revision) throw new VersionConflict(input.expectedVersion, revision);
  await deps.projections.waitFor(await deps.store.headPosition(), 2000, ['catalog']);
  const doc = await deps.views.get<CategoryDoc>(CATEGORIES, input.categoryId);
  const result = await deps.handlers.category.handle(
    stream,
    { type: 'DeleteCategory', childCount: doc?.childCount ?? 0, productCount: doc?.productCount ?? 0, at: at(deps) },
    { metadata, ...(input.expectedVersion === undefined ? {} : { expectedRevision: input.expectedVersion }) },
  );
  await releaseUnique(deps, siblingName(state.parentId, state.name), input.categoryId, metadata);
  return { position: result.position };
}

/**
 * Defines an attribute template on a category; its sub-categories inherit it. A name is unique along
 * every path from the root to a leaf: ancestors are read from their streams, descendants from the view.
 */
export async function defineAttribute(
  deps: Deps,
  input: { categoryId: string; name: string; kind: AttributeKind; values?: string[] | null },
  metadata: EventMetadata,
): Promise<{ id: string; position: number }> {
  const chain = await categoryChain(deps, input.categoryId);
  const related = [...templatesOf(chain.slice(1)), ...(await descendantTemplates(deps, input.categoryId))];
  const attributeId = ulid();
  const result = await deps.handlers.category.handle(
    categoryStream(input.categoryId),
    { type: 'DefineAttribute', attributeId, name: input.name, kind: input.kind, values: input.values ?? null, related, at: at(deps) },
    { metadata },
  );
  return { id: attributeId, position: result.position };
}

async function descendantTemplates(deps: Deps, categoryId: string): Promise<AttributeTemplate[]> {
  await deps.projections.waitFor(await deps.store.headPosition(), 2000, ['catalog']);
  const templates: AttributeTemplate[] = [];
  const queue = [categoryId];
  while (queue.length > 0) {
    const parentId = queue.shift()!;
    let cursor: string | null = null;
    do {
      const page: { items: CategoryDoc[]; nextCursor: string | null } = await deps.views.find<CategoryDoc>(CATEGORIES, { where: { parentId }, limit: 100, cursor });
      for (const child of page.items) {
        templates.push(...child.attributes);
        queue.push(child.id);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  return templates;
}

function categoryResult(result: { state: Category; revision: number; position: number }): CategoryResult {
  const category = result.state as ActiveCategory;
  return { id: category.categoryId, category, version: result.revision, position: result.position };
}
