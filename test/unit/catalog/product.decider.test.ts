import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { productDecider, type ProductCommand, type ProductEvent } from '../../../src/domain/catalog/product.js';
import { snapshotContent, snapshotId } from '../../../src/domain/catalog/snapshot.js';
import type { AttributeTemplate } from '../../../src/domain/catalog/attributes.js';
import { ConflictError, InvalidStateTransition, NotFoundError, ValidationError } from '../../../src/kernel/errors.js';

const at = '2026-11-25T10:00:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const templates: AttributeTemplate[] = [
  { attributeId: 'a1', categoryId: 'root', name: 'material', kind: 'key', values: null },
  { attributeId: 'a2', categoryId: 'c1', name: 'colour', kind: 'sales', values: ['red', 'blue'] },
  { attributeId: 'a3', categoryId: 'c1', name: 'size', kind: 'sales', values: ['S', 'M'] },
  { attributeId: 'a4', categoryId: 'root', name: 'origin', kind: 'general', values: ['CN', 'VN'] },
];
const definition = {
  productId: 'p1',
  merchantId: 'm1',
  spuId: 'p1',
  title: 'Tee',
  description: 'soft',
  images: ['https://img/1.png'],
  category: { id: 'c1', name: 'Tees' },
  brand: { id: 'b1', name: 'Acme' },
  keyAttributes: { material: 'cotton' },
  generalAttributes: { origin: 'CN' },
  skus: [
    { skuId: 's1', skuCode: 'T-R-S', salesAttributes: { colour: 'red', size: 'S' } as Record<string, string>, price: cny(100) },
    { skuId: 's2', skuCode: 'T-B-S', salesAttributes: { size: 'S', colour: 'blue' }, price: cny(120) },
  ],
  takeStockAt: 'order' as const,
};
const create: Extract<ProductCommand, { type: 'CreateProduct' }> = { type: 'CreateProduct', status: 'draft', templates, at, ...definition };
const created: ProductEvent = { type: 'ProductCreated', data: { ...definition, at } };
const firstSnapshot = snapshotId(snapshotContent(definition));
const snapshotTaken: ProductEvent = { type: 'ProductSnapshotTaken', data: { productId: 'p1', snapshotId: firstSnapshot, content: snapshotContent(definition), at } };
const listed: ProductEvent = { type: 'ProductListed', data: { productId: 'p1', at } };
const product = spec(productDecider);

describe('product decider', () => {
  it('creates a product with its first snapshot', () => product.given().when(create).then(created, snapshotTaken));

  it('creates listed when asked', () => product.given().when({ ...create, status: 'listed' }).then(created, listed, snapshotTaken));

  it('appends nothing when the creation is resent; refuses another merchant on the same id', () => {
    product.given(created, snapshotTaken).when(create).thenNothing();
    product.given(created, snapshotTaken).when({ ...create, merchantId: 'm2' }).thenThrows(ConflictError, 'PRODUCT_EXISTS');
  });

  const withSkus = (skus: typeof definition.skus) => ({ ...create, skus });
  it.each<[string, Extract<ProductCommand, { type: 'CreateProduct' }>, string]>([
    ['no SKU', withSkus([]), 'skus'],
    ['a duplicate SKU code', withSkus([definition.skus[0]!, { ...definition.skus[1]!, skuCode: 'T-R-S' }]), 'skus.1.skuCode'],
    ['the same sales attributes twice', withSkus([definition.skus[0]!, { ...definition.skus[1]!, salesAttributes: { size: 'S', colour: 'red' } }]), 'skus.1.salesAttributes'],
    ['a missing sales attribute', withSkus([{ ...definition.skus[0]!, salesAttributes: { colour: 'red' } }]), 'skus.0.salesAttributes.size'],
    ['a sales value not allowed', withSkus([{ ...definition.skus[0]!, salesAttributes: { colour: 'green', size: 'S' } }]), 'skus.0.salesAttributes.colour'],
    ['an unknown sales attribute', withSkus([{ ...definition.skus[0]!, salesAttributes: { colour: 'red', size: 'S', sleeve: 'long' } }]), 'skus.0.salesAttributes.sleeve'],
    ['a key attribute as a sales one', withSkus([{ ...definition.skus[0]!, salesAttributes: { colour: 'red', size: 'S', material: 'x' } }]), 'skus.0.salesAttributes.material'],
    ['a zero price', withSkus([{ ...definition.skus[0]!, price: cny(0) }]), 'skus.0.price.amount'],
    ['a negative price', withSkus([{ ...definition.skus[0]!, price: cny(-1) }]), 'skus.0.price.amount'],
    ['another currency', withSkus([{ ...definition.skus[0]!, price: { amount: 1, currency: 'USD' } }]), 'skus.0.price.currency'],
    ['a general value not allowed', { ...create, generalAttributes: { origin: 'XX' } }, 'attributes.origin'],
  ])('refuses %s', (_name, command, path) => {
    let error: unknown;
    try {
      productDecider.decide(command, productDecider.initialState());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.path)).toContain(path);
  });

  it('edits info; content changes take a new snapshot, other changes do not', () => {
    product
      .given(created, snapshotTaken)
      .when({ type: 'EditProductInfo', changes: { title: 'Tee 2', description: 'soft' }, templates, at })
      .thenState((state) => {
        expect(state).toMatchObject({ title: 'Tee 2', description: 'soft' });
        expect(state.status !== 'none' && state.snapshotIds).toHaveLength(2);
      });
    product
      .given(created, snapshotTaken)
      .when({ type: 'EditProductInfo', changes: { takeStockAt: 'payment' }, templates, at })
      .then({ type: 'ProductInfoEdited', data: { productId: 'p1', changes: { takeStockAt: 'payment' }, at } });
    product.given(created, snapshotTaken).when({ type: 'EditProductInfo', changes: { title: 'Tee' }, templates, at }).thenNothing();
  });

  it('reuses the snapshot id when the content comes back', () => {
    const edited: ProductEvent = { type: 'ProductInfoEdited', data: { productId: 'p1', changes: { title: 'Tee 2' }, at } };
    const content2 = snapshotContent({ ...definition, title: 'Tee 2' });
    const taken2: ProductEvent = { type: 'ProductSnapshotTaken', data: { productId: 'p1', snapshotId: snapshotId(content2), content: content2, at } };
    product
      .given(created, snapshotTaken, edited, taken2)
      .when({ type: 'EditProductInfo', changes: { title: 'Tee' }, templates, at })
      .then({ type: 'ProductInfoEdited', data: { productId: 'p1', changes: { title: 'Tee' }, at } });
    product
      .given(created, snapshotTaken, edited, taken2)
      .when({ type: 'EditProductInfo', changes: { title: 'Tee' }, templates, at })
      .thenState((state) => expect(state).toMatchObject({ currentSnapshotId: firstSnapshot }));
  });

  it('refuses general attributes that do not fit', () =>
    product.given(created, snapshotTaken).when({ type: 'EditProductInfo', changes: { generalAttributes: { material: 'silk' } }, templates, at }).thenThrows(ValidationError));

  it('changes a price with a new snapshot; the same price appends nothing; an unknown SKU is 404', () => {
    product
      .given(created, snapshotTaken)
      .when({ type: 'ChangeSkuPrice', skuId: 's1', price: cny(90), at })
      .thenState((state) => expect(state.status !== 'none' && state.skus[0]!.price).toEqual(cny(90)));
    product.given(created, snapshotTaken).when({ type: 'ChangeSkuPrice', skuId: 's1', price: cny(100), at }).thenNothing();
    product.given(created, snapshotTaken).when({ type: 'ChangeSkuPrice', skuId: 'nope', price: cny(100), at }).thenThrows(NotFoundError);
    product.given(created, snapshotTaken).when({ type: 'ChangeSkuPrice', skuId: 's1', price: cny(-1), at }).thenThrows(ValidationError);
  });

  it('lists, delists and keeps the first listing time', () => {
    product.given(created, snapshotTaken).when({ type: 'SetProductStatus', status: 'listed', at }).then(listed);
    product.given(created, snapshotTaken, listed).when({ type: 'SetProductStatus', status: 'listed', at }).thenNothing();
    product.given(created, snapshotTaken).when({ type: 'SetProductStatus', status: 'delisted', at }).thenThrows(InvalidStateTransition);
    const later = '2026-12-01T00:00:00.000Z';
    product
      .given(created, snapshotTaken, listed, { type: 'ProductDelisted', data: { productId: 'p1', at } })
      .when({ type: 'SetProductStatus', status: 'listed', at: later })
      .thenState((state) => expect(state).toMatchObject({ status: 'listed', listedAt: at }));
  });

  it('refuses commands on a product that does not exist', () => {
    product.given().when({ type: 'SetProductStatus', status: 'listed', at }).thenThrows(NotFoundError);
    product.given().when({ type: 'EditProductInfo', changes: { title: 'x' }, templates, at }).thenThrows(NotFoundError);
  });
});

describe('item snapshots', () => {
  it('are the same for the same content whatever the key order, and differ with any buyer-relevant change', () => {
    const reordered = { ...definition, generalAttributes: { origin: 'CN' }, skus: [...definition.skus].reverse() };
    expect(snapshotId(snapshotContent(reordered))).toBe(firstSnapshot);
    expect(snapshotId(snapshotContent({ ...definition, images: [] }))).not.toBe(firstSnapshot);
    expect(snapshotId(snapshotContent({ ...definition, productId: 'p2' }))).not.toBe(firstSnapshot);
    expect(firstSnapshot).toMatch(/^[0-9a-f]{64}$/);
  });
});
