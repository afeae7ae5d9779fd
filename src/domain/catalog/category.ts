import { ConflictError, InvalidStateTransition, NotFoundError, ValidationError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import type { AttributeKind, AttributeTemplate } from './attributes.js';

/**
 * A backend category (`catalog-category-<id>`): a node of the tree products are filed under. Its
 * attribute templates live in its own stream (AttributeDefined) and are inherited by sub-categories.
 * Sibling-name uniqueness is a reservation stream (see categoryNameReservation); the tree checks that
 * need other streams (parent exists, no cycle, no children or products) arrive in the commands.
 */
export type CategoryEvent =
  | { type: 'CategoryCreated'; data: { categoryId: string; name: string; parentId: string | null; at: string } }
  | { type: 'CategoryRenamed'; data: { categoryId: string; name: string; previousName: string; at: string } }
  | { type: 'CategoryMoved'; data: { categoryId: string; parentId: string | null; previousParentId: string | null; at: string } }
  | { type: 'CategoryDeleted'; data: { categoryId: string; parentId: string | null; at: string } }
  | {
      type: 'AttributeDefined';
      data: { categoryId: string; attributeId: string; name: string; kind: AttributeKind; values: string[] | null; at: string };
    };

export type CategoryCommand =
  | { type: 'CreateCategory'; categoryId: string; name: string; parentId: string | null; at: string }
  /** `parentPath`: the new parent and its ancestors (ids), read from their streams, when parentId is given. */
  | { type: 'ChangeCategory'; name?: string; parentId?: string | null; parentPath?: string[]; at: string }
  | { type: 'DeleteCategory'; childCount: number; productCount: number; at: string }
  /** `related`: the templates of the ancestors and descendants, whose names a new attribute must not repeat. */
  | {
      type: 'DefineAttribute';
      attributeId: string;
      name: string;
      kind: AttributeKind;
      values: string[] | null;
      related: AttributeTemplate[];
      at: string;
    };

interface CategoryNode {
  categoryId: string;
  name: string;
  parentId: string | null;
  attributes: AttributeTemplate[];
  createdAt: string;
}

export type ActiveCategory = CategoryNode & { status: 'active' };
export type Category = { status: 'none' } | ActiveCategory | (CategoryNode & { status: 'deleted' });

export function evolve(state: Category, event: CategoryEvent): Category {
  switch (event.type) {
    case 'CategoryCreated':
      return { status: 'active', categoryId: event.data.categoryId, name: event.data.name, parentId: event.data.parentId, attributes: [], createdAt: event.data.at };
    case 'CategoryRenamed':
      return state.status === 'none' ? state : { ...state, name: event.data.name };
    case 'CategoryMoved':
      return state.status === 'none' ? state : { ...state, parentId: event.data.parentId };
    case 'CategoryDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    case 'AttributeDefined': {
      if (state.status === 'none') return state;
      const { attributeId, categoryId, name, kind, values } = event.data;
      return { ...state, attributes: [...state.attributes, { attributeId, categoryId, name, kind, values }] };
    }
  }
}

export function decide(command: CategoryCommand, state: Category): CategoryEvent[] {
  switch (command.type) {
    case 'CreateCategory':
      if (state.status !== 'none') {
        if (state.categoryId === command.categoryId && state.name === command.name && state.parentId === command.parentId) return [];
        throw new ConflictError('CATEGORY_EXISTS', 'this category already exists');
      }
      return [{ type: 'CategoryCreated', data: { categoryId: command.categoryId, name: command.name, parentId: command.parentId, at: command.at } }];
    case 'ChangeCategory':
      return change(command, requireActive(state));
    case 'DeleteCategory': {
      if (state.status === 'deleted') return [];
      const category = requireActive(state);
      if (command.childCount > 0) throw new ConflictError('CATEGORY_NOT_EMPTY', 'the category has sub-categories; move or delete them first');
      if (command.productCount > 0) throw new ConflictError('CATEGORY_NOT_EMPTY', 'products are filed under this category');
      return [{ type: 'CategoryDeleted', data: { categoryId: category.categoryId, parentId: category.parentId, at: command.at } }];
    }
    case 'DefineAttribute':
      return defineAttribute(command, state);
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

function change(command: Extract<CategoryCommand, { type: 'ChangeCategory' }>, category: ActiveCategory): CategoryEvent[] {
  const events: CategoryEvent[] = [];
  const { categoryId } = category;
  if (command.name !== undefined && command.name !== category.name) {
    events.push({ type: 'CategoryRenamed', data: { categoryId, name: command.name, previousName: category.name, at: command.at } });
  }
  if (command.parentId !== undefined && command.parentId !== category.parentId) {
    if (command.parentId === categoryId || (command.parentPath ?? []).includes(categoryId)) {
      throw new ValidationError('a category cannot move under itself or one of its sub-categories', [
        { path: 'parentId', message: 'would make a cycle in the category tree' },
      ]);
    }
    events.push({ type: 'CategoryMoved', data: { categoryId, parentId: command.parentId, previousParentId: category.parentId, at: command.at } });
  }
  return events;
}

function defineAttribute(command: Extract<CategoryCommand, { type: 'DefineAttribute' }>, state: Category): CategoryEvent[] {
  const category = requireActive(state);
  const existing = category.attributes.find((attribute) => attribute.attributeId === command.attributeId);
  if (existing) return [];
  const clash = [...category.attributes, ...command.related].find((attribute) => attribute.name === command.name);
  if (clash) {
    const where = clash.categoryId === category.categoryId ? 'this category' : `category ${clash.categoryId} (an ancestor or sub-category)`;
    throw new ConflictError('ATTRIBUTE_EXISTS', `an attribute named "${command.name}" is already defined on ${where}`);
  }
  if (command.values !== null && new Set(command.values).size !== command.values.length) {
    throw new ValidationError('the allowed values repeat', [{ path: 'values', message: 'each value may appear once' }]);
  }
  return [
    {
      type: 'AttributeDefined',
      data: { categoryId: category.categoryId, attributeId: command.attributeId, name: command.name, kind: command.kind, values: command.values, at: command.at },
    },
  ];
}

function requireActive(state: Category): ActiveCategory {
  if (state.status === 'none') throw new NotFoundError('category');
  if (state.status === 'deleted') throw new InvalidStateTransition('deleted', 'change a deleted category');
  return state;
}

export const categoryDecider: Decider<CategoryCommand, CategoryEvent, Category> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const categoryStream = (categoryId: string) => `catalog-category-${categoryId}`;
export const CATEGORY_ROOT = 'root';

/** Deeper trees are refused; it also bounds the walk up a (corrupt) cyclic tree. */
export const MAX_CATEGORY_DEPTH = 16;
