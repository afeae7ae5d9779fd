import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { frontendCategoryDecider, type FrontendCategoryEvent } from '../../../src/domain/catalog/frontend-category.js';
import { brandDecider } from '../../../src/domain/catalog/brand.js';
import { spuDecider, type SpuEvent } from '../../../src/domain/catalog/spu.js';
import type { AttributeTemplate } from '../../../src/domain/catalog/attributes.js';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/kernel/errors.js';

const at = '2026-11-25T10:00:00.000Z';

describe('frontend category decider', () => {
  const fe = spec(frontendCategoryDecider);
  const created: FrontendCategoryEvent = { type: 'FrontendCategoryCreated', data: { frontendCategoryId: 'f1', name: '夏装', parentId: null, backendCategoryIds: ['b1'], at } };

  it('creates with a de-duplicated, non-empty mapping; a resend appends nothing', () => {
    fe.given().when({ type: 'CreateFrontendCategory', frontendCategoryId: 'f1', name: '夏装', parentId: null, backendCategoryIds: ['b1', 'b1'], at }).then(created);
    fe.given(created).when({ type: 'CreateFrontendCategory', frontendCategoryId: 'f1', name: '夏装', parentId: null, backendCategoryIds: ['b1'], at }).thenNothing();
    fe.given().when({ type: 'CreateFrontendCategory', frontendCategoryId: 'f1', name: '夏装', parentId: null, backendCategoryIds: [], at }).thenThrows(ValidationError);
  });

  it('re-maps, recording the previous mapping; the same mapping in another order appends nothing', () => {
    fe.given(created)
      .when({ type: 'ChangeFrontendCategory', backendCategoryIds: ['b2', 'b1'], at })
      .then({ type: 'FrontendCategoryMapped', data: { frontendCategoryId: 'f1', backendCategoryIds: ['b2', 'b1'], previousBackendCategoryIds: ['b1'], at } });
    fe.given(created, { type: 'FrontendCategoryMapped', data: { frontendCategoryId: 'f1', backendCategoryIds: ['b2', 'b1'], previousBackendCategoryIds: ['b1'], at } })
      .when({ type: 'ChangeFrontendCategory', backendCategoryIds: ['b1', 'b2'], at })
      .thenNothing();
  });

  it('renames, moves, and refuses cycles', () => {
    fe.given(created).when({ type: 'ChangeFrontendCategory', name: '秋装', parentId: 'f0', parentPath: ['f0'], at }).thenState((state) => expect(state).toMatchObject({ name: '秋装', parentId: 'f0' }));
    fe.given(created).when({ type: 'ChangeFrontendCategory', parentId: 'f2', parentPath: ['f2', 'f1'], at }).thenThrows(ValidationError);
    fe.given().when({ type: 'ChangeFrontendCategory', name: 'x', at }).thenThrows(NotFoundError);
  });
});

describe('brand decider', () => {
  const brand = spec(brandDecider);
  const created = { type: 'BrandCreated' as const, data: { brandId: 'b1', name: 'Acme', logoUrl: null, at } };
  it('creates once', () => {
    brand.given().when({ type: 'CreateBrand', brandId: 'b1', name: 'Acme', logoUrl: null, at }).then(created);
    brand.given(created).when({ type: 'CreateBrand', brandId: 'b1', name: 'Acme', logoUrl: null, at }).thenNothing();
    brand.given(created).when({ type: 'CreateBrand', brandId: 'b1', name: 'Other', logoUrl: null, at }).thenThrows(ConflictError, 'BRAND_EXISTS');
  });
});

describe('SPU decider', () => {
  const spu = spec(spuDecider);
  const templates: AttributeTemplate[] = [
    { attributeId: 'a1', categoryId: 'c1', name: 'material', kind: 'key', values: ['cotton', 'linen'] },
    { attributeId: 'a2', categoryId: 'c1', name: 'colour', kind: 'sales', values: null },
  ];
  const create = { type: 'CreateSpu' as const, spuId: 's1', title: 'Tee', categoryId: 'c1', brandId: 'b1', keyAttributes: { material: 'cotton' }, origin: 'platform' as const, templates, at };
  const created: SpuEvent = { type: 'SpuCreated', data: { spuId: 's1', title: 'Tee', categoryId: 'c1', brandId: 'b1', keyAttributes: { material: 'cotton' }, origin: 'platform', at } };

  it('creates with valid key attributes; a resend appends nothing', () => {
    spu.given().when(create).then(created);
    spu.given(created).when(create).thenNothing();
  });

  it.each([
    ['missing', {}],
    ['not allowed', { material: 'silk' }],
    ['a sales attribute', { material: 'cotton', colour: 'red' }],
    ['unknown', { material: 'cotton', weight: '1' }],
  ])('refuses key attributes that are %s', (_name, keyAttributes) => spu.given().when({ ...create, keyAttributes }).thenThrows(ValidationError));

  it('discards once', () => {
    const discarded: SpuEvent = { type: 'SpuDiscarded', data: { spuId: 's1', reason: 'r', at } };
    spu.given(created).when({ type: 'DiscardSpu', reason: 'r', at }).then(discarded);
    spu.given(created, discarded).when({ type: 'DiscardSpu', reason: 'r', at }).thenNothing();
    spu.given().when({ type: 'DiscardSpu', reason: 'r', at }).thenThrows(NotFoundError);
  });
});
