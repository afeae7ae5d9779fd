import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { address, newBuyer, newSku, next, orderWorld, type OrderWorld } from './orders-support.js';
import { balance, card, cny, drain, expectLedgerSound, pay } from './payments-support.js';
import { expectReconciled, orderDetail } from './fulfillment-support.js';
import { settled, teeBody } from './catalog-support.js';
import { accountIds } from '../../src/domain/accounts/account-ids.js';
import { userStream } from '../../src/domain/users/user.js';
import { createShippingTemplate } from '../../src/commands/shipping/templates.js';

/** Shipping templates (运费模板) and the fees checkout charges with them, through payment and refund. */
let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world.runtime.close());

const TEMPLATES = '/api/v1/merchant/shipping-templates';

/** A merchant of its own for each test (ledger balances start at 0). */
async function newMerchant() {
  const id = `merchant-ship-${next()}-${Date.now()}`;
  const at = new Date().toISOString();
  await world.runtime.deps.handlers.user.handle(userStream(id), { type: 'RegisterUser', userId: id, phone: null, email: `${id}@example.com`, nickname: id, passwordHash: 'x', roles: ['merchant'], at });
  return { id, token: await world.runtime.deps.tokens.issueAccessToken({ userId: id, roles: ['merchant'] }, new Date()) };
}

const byCount = {
  name: '标准快递',
  kind: 'count',
  rate: { first: cny(1000), additional: cny(500) },
  freeOver: cny(50_000),
  regions: [{ provinces: ['Xinjiang', '西藏自治区'], rate: { first: cny(2000), additional: cny(1000) }, freeOver: null }],
};

async function createTemplate(token: string, body: Record<string, unknown>) {
  const created = await world.api('POST', TEMPLATES, { token, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await settled(world, created.body.position);
  return created;
}

describe('shipping templates', () => {
  it('a merchant creates, reads, lists and replaces its templates; If-Match guards the replacement', async () => {
    const merchant = await newMerchant();
    const created = await createTemplate(merchant.token, { ...byCount, default: true });
    expect(created.headers.get('ETag')).toBe('"0"');
    expect(created.body).toMatchObject({
      merchantId: merchant.id,
      kind: 'count',
      rate: { first: cny(1000), additional: cny(500) },
      regions: [{ provinces: ['新疆', '西藏'], freeOver: null }],
      isDefault: true,
      version: 0,
    });
    const id = created.body.id as string;

    const read = await world.api('GET', `${TEMPLATES}/${id}`, { token: merchant.token, headers: { 'X-Min-Position': created.body.position } });
    expect(read.status).toBe(200);
    expect(read.headers.get('ETag')).toBe('"0"');
    expect(read.body).toMatchObject({ id, isDefault: true, freeOver: cny(50_000) });

    const replaced = await world.api('PUT', `${TEMPLATES}/${id}`, { token: merchant.token, headers: { 'If-Match': '"0"' }, body: { ...byCount, freeOver: null } });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    expect(replaced.headers.get('ETag')).toBe('"1"');
    expect(replaced.body).toMatchObject({ freeOver: null, version: 1, isDefault: true });
    // a delayed retry of an edit made at version 0 must not overwrite the newer one
    const stale = await world.api('PUT', `${TEMPLATES}/${id}`, { token: merchant.token, headers: { 'If-Match': '"0"' }, body: { ...byCount, name: 'old' } });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('VERSION_CONFLICT');
    const malformed = await world.api('PUT', `${TEMPLATES}/${id}`, { token: merchant.token, headers: { 'If-Match': 'yesterday' }, body: byCount });
    expect(malformed.status).toBe(400);

    const second = await createTemplate(merchant.token, { name: '顺丰', kind: 'flat', rate: { first: cny(2300) } });
    expect(second.body).toMatchObject({ isDefault: false, rate: { first: cny(2300), additional: cny(0) }, freeOver: null, regions: [] });
    const madeDefault = await world.api('POST', `${TEMPLATES}/${second.body.id}/default`, { token: merchant.token });
    expect(madeDefault.status, JSON.stringify(madeDefault.body)).toBe(200);
    expect(madeDefault.body.isDefault).toBe(true);

    const list = await world.api('GET', TEMPLATES, { token: merchant.token, headers: { 'X-Min-Position': madeDefault.body.position } });
    expect(list.status).toBe(200);
    expect(list.body.items.map((item: { id: string; name: string; isDefault: boolean; version: number }) => [item.id, item.name, item.isDefault, item.version])).toEqual([
      [id, '标准快递', false, 1],
      [second.body.id, '顺丰', true, 0],
    ]);

    // another merchant neither sees nor changes them; an admin does
    const other = await newMerchant();
    expect((await world.api('GET', `${TEMPLATES}/${id}`, { token: other.token })).status).toBe(404);
    expect((await world.api('PUT', `${TEMPLATES}/${id}`, { token: other.token, body: byCount })).status).toBe(404);
    expect((await world.api('POST', `${TEMPLATES}/${id}/default`, { token: other.token })).status).toBe(404);
    expect((await world.api('GET', TEMPLATES, { token: other.token })).body.items).toEqual([]);
    expect((await world.api('GET', `${TEMPLATES}/${id}`, { token: world.adminToken })).status).toBe(200);
    expect((await world.api('GET', TEMPLATES, { token: world.customerToken })).status).toBe(403);
  });

  it('an admin manages the templates of any merchant (default: the platform store); an Idempotency-Key retry creates nothing new', async () => {
    const merchant = await newMerchant();
    const forMerchant = await world.api('POST', TEMPLATES, { token: world.adminToken, body: { ...byCount, merchantId: merchant.id } });
    expect(forMerchant.status, JSON.stringify(forMerchant.body)).toBe(201);
    expect(forMerchant.body.merchantId).toBe(merchant.id);
    const mine = await world.api('GET', `${TEMPLATES}/${forMerchant.body.id}`, { token: merchant.token, headers: { 'X-Min-Position': forMerchant.body.position } });
    expect(mine.status).toBe(200);
    const listed = await world.api('GET', `${TEMPLATES}?merchantId=${merchant.id}`, { token: world.adminToken });
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([forMerchant.body.id]);
    const platform = await world.api('POST', TEMPLATES, { token: world.adminToken, body: byCount });
    expect(platform.body.merchantId).toBe('platform');
    expect((await world.api('POST', TEMPLATES, { token: world.adminToken, body: { ...byCount, merchantId: 'nobody' } })).status).toBe(400);
    // a merchant names no other shop
    expect((await world.api('POST', TEMPLATES, { token: merchant.token, body: { ...byCount, merchantId: 'someone-else' } })).status).toBe(403);

    const actor = { id: merchant.id, role: 'merchant' as const };
    const key = `k-${next()}`;
    const first = await createShippingTemplate(world.runtime.deps, actor, { ...byCount, kind: 'count', idempotencyKey: key }, {});
    const again = await createShippingTemplate(world.runtime.deps, actor, { ...byCount, kind: 'count', idempotencyKey: key }, {});
    expect(again.template.templateId).toBe(first.template.templateId);
    expect(again.revision).toBe(0);
  });

  it('refuses bad templates with 400 and field errors, writing nothing', async () => {
    const merchant = await newMerchant();
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ ...byCount, rate: { first: cny(-1) } }, 'rate.first.amount'],
      [{ ...byCount, rate: { first: cny(1_000_001) } }, 'rate.first.amount'],
      [{ ...byCount, rate: { first: cny(10.5) } }, 'rate.first.amount'],
      [{ ...byCount, rate: { first: { amount: 100, currency: 'USD' } } }, 'rate.first.currency'],
      [{ ...byCount, freeOver: cny(0) }, 'freeOver.amount'],
      [{ ...byCount, kind: 'flat', rate: { first: cny(800), additional: cny(100) } }, 'rate.additional'],
      [{ ...byCount, kind: 'by_mood' }, 'kind'],
      [{ ...byCount, name: '' }, 'name'],
      [{ ...byCount, regions: [{ provinces: ['Atlantis'], rate: { first: cny(1) } }] }, 'regions.0.provinces.0'],
      [{ ...byCount, regions: [{ provinces: ['新疆'], rate: { first: cny(1) } }, { provinces: ['Xinjiang'], rate: { first: cny(1) } }] }, 'regions.1.provinces.0'],
      [{ ...byCount, surcharge: 5 }, '(body)'],
    ];
    for (const [body, path] of bad) {
      const response = await world.api('POST', TEMPLATES, { token: merchant.token, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.code).toBe('VALIDATION_FAILED');
      if (path !== '(body)') expect(response.body.errors.map((error: { path: string }) => error.path), JSON.stringify(response.body)).toContain(path);
    }
    await settled(world);
    expect((await world.api('GET', TEMPLATES, { token: merchant.token })).body.items).toEqual([]);
    // a product may name only a template of its own merchant
    const foreign = await createTemplate((await newMerchant()).token, byCount);
    const body = teeBody(world.t, [`SHIP-${next()}`], { shippingTemplateId: foreign.body.id });
    const product = await world.api('POST', '/api/v1/admin/products', { token: merchant.token, body });
    expect(product.status).toBe(400);
    expect(product.body.errors[0].path).toBe('shippingTemplateId');
    // SKU weights are whole grams, 1 g to 1 t
    for (const weightGrams of [0, 1.5, 1_000_001]) {
      const heavy = teeBody(world.t, [`W-${next()}`]);
      heavy.skus[0] = { ...heavy.skus[0]!, weightGrams } as (typeof heavy.skus)[number];
      const refused = await world.api('POST', '/api/v1/admin/products', { token: merchant.token, body: heavy });
      expect(refused.status).toBe(400);
      expect(refused.body.errors.map((error: { path: string }) => error.path)).toContain('skus.0.weightGrams');
    }
  });
});

describe('checkout charges shipping', () => {
  it('preview, order total and payable include each merchant order’s fee; payment and the ledger carry it; a full refund returns it', async () => {
    const merchant = await newMerchant();
    await createTemplate(merchant.token, { ...byCount, default: true });
    const shipped = await newSku(world, { price: 9_900, merchantToken: merchant.token });
    const free = await newSku(world, { price: 5_000, merchantToken: (await newMerchant()).token }); // a merchant without templates ships free
    const buyer = await newBuyer(world);
    const items = [
      { skuId: shipped.skuId, quantity: 2 },
      { skuId: free.skuId, quantity: 1 },
    ];
    const xinjiang = { ...address, province: '新疆维吾尔自治区', city: '乌鲁木齐' };

    const preview = await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { items, shippingAddress: xinjiang } });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    const ofMerchant = (orders: Array<{ merchantId: string }>) => orders.find((order) => order.merchantId === merchant.id);
    expect(ofMerchant(preview.body.orders)).toMatchObject({ subtotal: cny(19_800), shipping: cny(3_000), total: cny(22_800) });
    expect(preview.body.orders.find((order: { merchantId: string }) => order.merchantId !== merchant.id)).toMatchObject({ shipping: cny(0), total: cny(5_000) });
    expect(preview.body).toMatchObject({ subtotal: cny(24_800), shipping: cny(3_000), payable: cny(27_800) });
    // elsewhere (and with no address at all) the template's own rate
    const shanghai = await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { items } });
    expect(shanghai.body).toMatchObject({ shipping: cny(1_500), payable: cny(26_300) });
    // without an address in the request, the profile's shipping address
    const profile = await world.api('PATCH', '/api/v1/me', { token: buyer.token, body: { shippingAddress: xinjiang } });
    expect(profile.status, JSON.stringify(profile.body)).toBe(200);
    expect((await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { items } })).body.shipping).toEqual(cny(3_000));

    const placed = await world.api('POST', '/api/v1/orders', {
      token: buyer.token,
      body: { items: items.map((item, index) => ({ ...item, expectedUnitPrice: cny(index === 0 ? 9_900 : 5_000) })), shippingAddress: xinjiang },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.payable).toEqual(cny(27_800));
    const orderIds = placed.body.orders.map((order: { id: string }) => order.id) as string[];
    const details = await Promise.all(orderIds.map((id) => orderDetail(world, buyer.token, id)));
    const order = details.find((detail) => detail.merchantId === merchant.id)!;
    expect(order).toMatchObject({ subtotal: cny(19_800), shipping: cny(3_000), total: cny(22_800) });
    expect(placed.body.orders.find((entry: { id: string }) => entry.id === order.id).total).toEqual(cny(22_800));

    const paid = await pay(world, buyer, placed.body.payOrderId, card());
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body.amount).toEqual(cny(27_800));
    await drain(world);
    // the merchant is owed the goods and the shipping it charged
    expect(await balance(world, accountIds.merchantPayable(merchant.id))).toBe(22_800);

    const refund = await world.api('POST', `/api/v1/admin/orders/${order.id}/refunds`, { token: world.adminToken, body: { type: 'refund_only', items: [], reason: 'out of stock at the warehouse' } });
    expect(refund.status, JSON.stringify(refund.body)).toBe(201);
    expect(refund.body.amount).toEqual(cny(22_800));
    await drain(world);
    expect(await orderDetail(world, buyer.token, order.id)).toMatchObject({ status: 'closed', paymentStatus: 'refunded', refunds: [{ status: 'refunded', amount: cny(22_800) }] });
    expect(await balance(world, accountIds.merchantPayable(merchant.id))).toBe(0);
    await expectLedgerSound(world);
    await expectReconciled(world);
  });

  it("a product's own template beats the default: by weight (SKU weights), free over the merchant order's subtotal", async () => {
    const merchant = await newMerchant();
    await createTemplate(merchant.token, { name: '包邮', kind: 'flat', rate: { first: cny(0) }, default: true });
    const heavy = await createTemplate(merchant.token, { name: '大件', kind: 'weight', rate: { first: cny(1_200), additional: cny(400) }, freeOver: cny(100_000) });
    const body = teeBody(world.t, [`HEAVY-${next()}`], { status: 'listed', shippingTemplateId: heavy.body.id });
    body.skus[0] = { ...body.skus[0]!, price: cny(20_000), weightGrams: 1_500 } as (typeof body.skus)[number];
    const product = await world.api('POST', '/api/v1/admin/products', { token: merchant.token, body });
    expect(product.status, JSON.stringify(product.body)).toBe(201);
    await settled(world, product.body.position);
    const skuId = product.body.skus[0].id as string;
    const buyer = await newBuyer(world);

    const preview = async (quantity: number) => (await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { items: [{ skuId, quantity }], shippingAddress: address } })).body;
    expect((await preview(1)).shipping).toEqual(cny(1_200 + 400)); // 1.5 kg → 2 kg
    expect((await preview(3)).shipping).toEqual(cny(1_200 + 4 * 400)); // 4.5 kg → 5 kg
    expect((await preview(5)).shipping).toEqual(cny(0)); // 100 000 reaches the threshold

    // back to the merchant's default (free) with PATCH
    const edited = await world.api('PATCH', `/api/v1/admin/products/${product.body.id}`, { token: merchant.token, body: { shippingTemplateId: null } });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body.shippingTemplateId).toBeNull();
    expect((await preview(1)).shipping).toEqual(cny(0));
  });
});

describe('SKU weights', () => {
  it("PUT /admin/skus/{id}/weight sets or removes a SKU's weight (If-Match: the product's version); weight templates use it", async () => {
    const merchant = await newMerchant();
    await createTemplate(merchant.token, { name: '按重', kind: 'weight', rate: { first: cny(1_000), additional: cny(300) }, default: true });
    const sku = await newSku(world, { price: 2_000, merchantToken: merchant.token });
    const buyer = await newBuyer(world);
    const shipping = async () => (await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { items: [{ skuId: sku.skuId, quantity: 1 }], shippingAddress: address } })).body.shipping;
    expect(await shipping()).toEqual(cny(1_000)); // no weight: the first kilogram

    const weigh = (body: unknown, token = merchant.token, headers: Record<string, string> = {}) => world.api('PUT', `/api/v1/admin/skus/${sku.skuId}/weight`, { token, body, headers });
    const set = await weigh({ weightGrams: 2_500 });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.skus[0].weightGrams).toBe(2_500);
    const version = set.headers.get('ETag')!;
    expect(await shipping()).toEqual(cny(1_000 + 2 * 300)); // 2.5 kg → 3 kg

    expect((await weigh({ weightGrams: 900 }, merchant.token, { 'If-Match': '"0"' })).status).toBe(412);
    expect((await weigh({ weightGrams: 0 })).status).toBe(400);
    expect((await weigh({ weightGrams: 2.5 })).status).toBe(400);
    expect((await weigh({ weight: 900 })).status).toBe(400);
    expect((await weigh({ weightGrams: 900 }, (await newMerchant()).token)).status).toBe(404);
    expect(await shipping()).toEqual(cny(1_600)); // nothing changed

    const removed = await weigh({ weightGrams: null }, merchant.token, { 'If-Match': version });
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body.skus[0].weightGrams).toBeUndefined();
    expect(await shipping()).toEqual(cny(1_000));
  });
});

describe('shipping through cancellation and partial refunds', () => {
  async function twoMerchantCheckout(quantity: number) {
    const merchantA = await newMerchant();
    const merchantB = await newMerchant();
    await createTemplate(merchantA.token, { name: 'A', kind: 'flat', rate: { first: cny(800) }, default: true });
    await createTemplate(merchantB.token, { name: 'B', kind: 'count', rate: { first: cny(600), additional: cny(300) }, default: true });
    const skuA = await newSku(world, { price: 9_900, merchantToken: merchantA.token });
    const skuB = await newSku(world, { price: 4_000, merchantToken: merchantB.token });
    const buyer = await newBuyer(world);
    const placed = await world.api('POST', '/api/v1/orders', {
      token: buyer.token,
      body: { items: [{ skuId: skuA.skuId, quantity, expectedUnitPrice: cny(9_900) }, { skuId: skuB.skuId, quantity: 1, expectedUnitPrice: cny(4_000) }], shippingAddress: address },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const details = await Promise.all(placed.body.orders.map((order: { id: string }) => orderDetail(world, buyer.token, order.id)));
    const orderA = details.find((detail) => detail.merchantId === merchantA.id)!;
    const orderB = details.find((detail) => detail.merchantId === merchantB.id)!;
    return { buyer, placed: placed.body, orderA, orderB, merchantA };
  }

  it('a cancelled order takes its shipping out of the payable; the rest is paid in full', async () => {
    const { buyer, placed, orderA, orderB } = await twoMerchantCheckout(1);
    expect(orderA.total).toEqual(cny(9_900 + 800));
    expect(orderB.total).toEqual(cny(4_000 + 600));
    expect(placed.payable).toEqual(cny(9_900 + 800 + 4_000 + 600));
    expect((await world.api('POST', `/api/v1/orders/${orderB.id}/cancel`, { token: buyer.token })).status).toBe(200);
    const paid = await pay(world, buyer, placed.payOrderId, card());
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body.amount).toEqual(cny(9_900 + 800));
    await drain(world);
    expect((await orderDetail(world, buyer.token, orderA.id)).status).toBe('paid');
    await expectReconciled(world);
  });

  it('a partial refund leaves the shipping; the refund that takes the last units returns it', async () => {
    const { buyer, placed, orderA, merchantA } = await twoMerchantCheckout(2);
    expect(orderA).toMatchObject({ shipping: cny(800), total: cny(2 * 9_900 + 800) });
    expect((await pay(world, buyer, placed.payOrderId, card())).status).toBe(201);
    await drain(world);
    const item = orderA.items[0].id as string;
    const refund = (quantity: number) =>
      world.api('POST', `/api/v1/admin/orders/${orderA.id}/refunds`, { token: world.adminToken, body: { type: 'refund_only', items: [{ orderItemId: item, quantity }], reason: 'damaged' } });
    const first = await refund(1);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.amount).toEqual(cny(9_900));
    await drain(world);
    expect(await balance(world, accountIds.merchantPayable(merchantA.id))).toBe(9_900 + 800);
    const last = await refund(1);
    expect(last.status, JSON.stringify(last.body)).toBe(201);
    expect(last.body.amount).toEqual(cny(9_900 + 800));
    await drain(world);
    expect(await orderDetail(world, buyer.token, orderA.id)).toMatchObject({ status: 'closed', paymentStatus: 'refunded' });
    expect(await balance(world, accountIds.merchantPayable(merchantA.id))).toBe(0);
    await expectLedgerSound(world);
    await expectReconciled(world);
  });
});
