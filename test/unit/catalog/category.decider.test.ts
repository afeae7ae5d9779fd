import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { categoryDecider, type CategoryEvent } from '../../../src/domain/catalog/category.js';
import { ConflictError, InvalidStateTransition, NotFoundError, ValidationError } from '../../../src/kernel/errors.js';
import type { AttributeTemplate } from '../../../src/domain/catalog/attributes.js';

const at = '2026-11-25T10:00:00.000Z';
const created: CategoryEvent = { type: 'CategoryCreated', data: { categoryId: 'c1', name: 'Books', parentId: 'root1', at } };
const colour: CategoryEvent = { type: 'AttributeDefined', data: { categoryId: 'c1', attributeId: 'a1', name: 'colour', kind: 'sales', values: ['red'], at } };
const category = spec(categoryDecider);
const inherited: AttributeTemplate = { attributeId: 'a0', categoryId: 'root1', name: 'material', kind: 'key', values: null };

describe('category decider', () => {
  it('creates a category; the same creation again appends nothing', () => {
    category.given().when({ type: 'CreateCategory', categoryId: 'c1', name: 'Books', parentId: 'root1', at }).then(created);
    category.given(created).when({ type: 'CreateCategory', categoryId: 'c1', name: 'Books', parentId: 'root1', at }).thenNothing();
  });

  it('refuses another creation on an existing stream', () =>
    category.given(created).when({ type: 'CreateCategory', categoryId: 'c1', name: 'Other', parentId: null, at }).thenThrows(ConflictError, 'CATEGORY_EXISTS'));

  it('renames and moves in one change; an unchanged change appends nothing', () => {
    category
      .given(created)
      .when({ type: 'ChangeCategory', name: 'Novels', parentId: 'p2', parentPath: ['p2', 'root2'], at })
      .then(
        { type: 'CategoryRenamed', data: { categoryId: 'c1', name: 'Novels', previousName: 'Books', at } },
        { type: 'CategoryMoved', data: { categoryId: 'c1', parentId: 'p2', previousParentId: 'root1', at } },
      );
    category.given(created).when({ type: 'ChangeCategory', name: 'Books', parentId: 'root1', parentPath: ['root1'], at }).thenNothing();
  });

  it('refuses a move under itself or its own subtree', () => {
    category.given(created).when({ type: 'ChangeCategory', parentId: 'c1', parentPath: [], at }).thenThrows(ValidationError);
    category.given(created).when({ type: 'ChangeCategory', parentId: 'child', parentPath: ['child', 'c1', 'root1'], at }).thenThrows(ValidationError);
  });

  it('moves to the root', () =>
    category.given(created).when({ type: 'ChangeCategory', parentId: null, at }).thenState((state) => expect(state).toMatchObject({ parentId: null })));

  it('deletes an empty category once; refuses one with children or products', () => {
    const deleted: CategoryEvent = { type: 'CategoryDeleted', data: { categoryId: 'c1', parentId: 'root1', at } };
    category.given(created).when({ type: 'DeleteCategory', childCount: 0, productCount: 0, at }).then(deleted);
    category.given(created, deleted).when({ type: 'DeleteCategory', childCount: 0, productCount: 0, at }).thenNothing();
    category.given(created).when({ type: 'DeleteCategory', childCount: 1, productCount: 0, at }).thenThrows(ConflictError, 'CATEGORY_NOT_EMPTY');
    category.given(created).when({ type: 'DeleteCategory', childCount: 0, productCount: 2, at }).thenThrows(ConflictError, 'CATEGORY_NOT_EMPTY');
    category.given(created, deleted).when({ type: 'ChangeCategory', name: 'x', at }).thenThrows(InvalidStateTransition);
  });

  it('defines attributes; a resend appends nothing; names clash with own and inherited ones', () => {
    category.given(created).when({ type: 'DefineAttribute', attributeId: 'a1', name: 'colour', kind: 'sales', values: ['red'], related: [inherited], at }).then(colour);
    category.given(created, colour).when({ type: 'DefineAttribute', attributeId: 'a1', name: 'colour', kind: 'sales', values: ['red'], related: [], at }).thenNothing();
    category.given(created, colour).when({ type: 'DefineAttribute', attributeId: 'a2', name: 'colour', kind: 'general', values: null, related: [], at }).thenThrows(ConflictError, 'ATTRIBUTE_EXISTS');
    category.given(created).when({ type: 'DefineAttribute', attributeId: 'a2', name: 'material', kind: 'general', values: null, related: [inherited], at }).thenThrows(ConflictError, 'ATTRIBUTE_EXISTS');
    category.given(created).when({ type: 'DefineAttribute', attributeId: 'a2', name: 'size', kind: 'sales', values: ['S', 'S'], related: [], at }).thenThrows(ValidationError);
  });

  it('refuses changes to a category that does not exist', () => {
    category.given().when({ type: 'ChangeCategory', name: 'x', at }).thenThrows(NotFoundError);
    category.given().when({ type: 'DefineAttribute', attributeId: 'a', name: 'x', kind: 'key', values: null, related: [], at }).thenThrows(NotFoundError);
  });
});
