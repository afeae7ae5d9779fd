import { expect } from 'vitest';
import type { OrderWorld } from './orders-support.js';
import { card, checkout, drain, newBuyer, newSku, pay, type Buyer } from './payments-support.js';
import type { SandboxFulfillmentProvider } from '../../src/adapters/fulfillment/sandbox.js';

export const carrierOf = (world: OrderWorld) => world.runtime.deps.fulfillmentProvider as SandboxFulfillmentProvider;

/** A paid order of one SKU (`quantity` units) for a new buyer; `payment` is the pay request body (default: card). */
export async function paidOrder(world: OrderWorld, options: { price?: number; quantity?: number; payment?: Record<string, unknown>; before?: (buyer: Buyer) => Promise<void> } = {}) {
  const sku = await newSku(world, { price: options.price ?? 10_000, stock: 20 });
  const buyer = await newBuyer(world);
  await options.before?.(buyer);
  const placed = await checkout(world, buyer, [sku], options.quantity ?? 1);
  const paid = await pay(world, buyer, placed.payOrderId, options.payment ?? card());
  expect(paid.status, JSON.stringify(paid.body)).toBe(201);
  await drain(world);
  const orderId = placed.orders[0]!.id;
  const view = await orderDetail(world, buyer.token, orderId);
  expect(view.status).toBe('paid');
  return { sku, buyer, orderId, paymentId: paid.body.paymentId as string, view };
}

export async function orderDetail(world: OrderWorld, token: string, orderId: string) {
  await drain(world); // the sandbox's callbacks (payments, card refunds) too
  const response = await world.api('GET', `/api/v1/orders/${orderId}`, { token });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

export async function ship(world: OrderWorld, orderId: string, trackingNumber = '123', token = world.adminToken) {
  const response = await world.api('POST', `/api/v1/admin/orders/${orderId}/shipments`, { token, body: { carrier: 'SF Express', trackingNumber } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response;
}

export const reconciliation = async (world: OrderWorld) => {
  const response = await world.api('GET', '/api/v1/admin/finance/reconciliation', { token: world.adminToken });
  expect(response.status).toBe(200);
  return response.body as { ok: boolean; missingTransfers: unknown[]; unbalancedTransfers: unknown[]; providerMismatches: unknown[] };
};

export async function expectReconciled(world: OrderWorld) {
  await drain(world);
  const report = await reconciliation(world);
  expect({ ok: report.ok, missing: report.missingTransfers, unbalanced: report.unbalancedTransfers, mismatches: report.providerMismatches }).toEqual({ ok: true, missing: [], unbalanced: [], mismatches: [] });
}
