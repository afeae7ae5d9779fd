import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { ORDER_STATUSES } from '../../domain/orders/order.js';
import { SHIPMENT_STATUSES } from '../../domain/fulfillment/shipment.js';
import { changeTrackingNumber, completeOrder, createShipment, getShipment, type ShipmentAnswer } from '../../commands/fulfillment/shipments.js';
import { commandMetadata } from '../command-metadata.js';
import { currentUser, primaryRole, requireUser } from '../middleware/auth.js';
import { idempotent } from '../middleware/idempotency.js';
import { bearer, errors, etag, IdempotencyKeyHeader, IfMatchHeader, json, jsonBody, parseIfMatch, router } from '../openapi.js';

const tags = ['Fulfillment'];
const security = bearer;
/** Shipping is also open to the merchant's API key (`Authorization: ApiKey <key>`). */
const staffSecurity = [...bearer, { apiKeyAuth: [] }];
const OrderId = z.string().trim().min(1).max(64);
const ShipmentParams = z.object({ id: OrderId, shipmentId: z.string().trim().min(1).max(100) });
const Carrier = z.string().trim().min(1).max(60);
const TrackingNumber = z.string().trim().min(1).max(100);

const ShipmentSchema = z
  .object({
    id: z.string().openapi({ description: 'the shipment id, as in the order view' }),
    shipmentId: z.string().openapi({ description: 'same as id' }),
    orderId: z.string(),
    carrier: z.string(),
    trackingNumber: z.string(),
    status: z.enum(SHIPMENT_STATUSES),
    version: z.number().int().openapi({ description: 'the ETag: send it as If-Match to edit the tracking number' }),
    position: z.string(),
  })
  .openapi('Shipment');

const body = (shipment: ShipmentAnswer) => ({
  id: shipment.shipmentId,
  shipmentId: shipment.shipmentId,
  orderId: shipment.orderId,
  carrier: shipment.carrier,
  trackingNumber: shipment.trackingNumber,
  status: shipment.status as (typeof SHIPMENT_STATUSES)[number],
  version: shipment.revision,
  position: String(shipment.position),
});
const headers = (shipment: ShipmentAnswer) => ({ ETag: etag(shipment.revision), 'X-Position': String(shipment.position) });

/** Shipments (admin, or the order's merchant) and the customer's confirmation of receipt. */
export function shipmentRoutes(deps: Deps) {
  const app = router();
  const staff = requireUser('admin', 'merchant');
  const actorOf = (c: Parameters<typeof currentUser>[0]) => {
    const user = currentUser(c);
    return { id: user.id, role: primaryRole(user) };
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/orders/{id}/shipments',
      tags,
      security: staffSecurity,
      middleware: [staff, idempotent(deps.kv)] as const,
      summary: 'Ship a paid order (admin, or its merchant)',
      description:
        'The order must be `paid` (else 409 INVALID_STATE_TRANSITION); its stock is re-validated (409 OUT_OF_STOCK when a unit could not be taken). The order becomes `shipped`; the carrier later reports delivery or failure by signed callback. With `Idempotency-Key` a retry answers the same shipment.',
      request: { params: z.object({ id: OrderId }), headers: IdempotencyKeyHeader, body: jsonBody(z.object({ carrier: Carrier, trackingNumber: TrackingNumber }).strict().openapi('CreateShipment')) },
      responses: { 201: json(ShipmentSchema, 'shipped'), ...errors(400, 401, 403, 404, 409, 415, 422) },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const idempotencyKey = c.req.header('Idempotency-Key');
      const shipment = await createShipment(deps, actorOf(c), { orderId: c.req.valid('param').id, ...input, ...(idempotencyKey ? { idempotencyKey } : {}) }, commandMetadata(c));
      return c.json(body(shipment), 201, headers(shipment));
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/orders/{id}/shipments/{shipmentId}',
      tags,
      security: staffSecurity,
      middleware: [staff] as const,
      summary: 'One shipment, with its ETag',
      request: { params: ShipmentParams },
      responses: { 200: json(ShipmentSchema, 'the shipment'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const { id, shipmentId } = c.req.valid('param');
      const shipment = await getShipment(deps, actorOf(c), id, shipmentId);
      return c.json(body(shipment), 200, headers(shipment));
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/orders/{id}/shipments/{shipmentId}',
      tags,
      security: staffSecurity,
      middleware: [staff] as const,
      summary: 'Correct the tracking number (If-Match required)',
      description:
        'The seed’s ABA problem: a delayed retry of an old edit must not overwrite a newer one. `If-Match` is the ETag last read (missing → 428 PRECONDITION_REQUIRED, stale → 412 VERSION_CONFLICT with `currentVersion`). Only while in transit.',
      request: { params: ShipmentParams, headers: IfMatchHeader, body: jsonBody(z.object({ trackingNumber: TrackingNumber }).strict().openapi('ChangeTrackingNumber')) },
      responses: { 200: json(ShipmentSchema, 'changed'), ...errors(400, 401, 403, 404, 409, 412, 415), 428: { description: 'If-Match is required' } },
    }),
    async (c) => {
      const { id, shipmentId } = c.req.valid('param');
      const shipment = await changeTrackingNumber(
        deps,
        actorOf(c),
        { orderId: id, shipmentId, trackingNumber: c.req.valid('json').trackingNumber, expectedRevision: parseIfMatch(c.req.header('If-Match')) },
        commandMetadata(c),
      );
      return c.json(body(shipment), 200, headers(shipment));
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/orders/{id}/confirm-receipt',
      tags,
      security,
      middleware: [requireUser()] as const,
      summary: 'The customer confirms receipt: delivered → completed (earns coins)',
      description: 'Only while `delivered` (else 409 INVALID_STATE_TRANSITION); confirming again answers the completed order. Completion earns coins worth BAZAAR_COINS_EARN_BPS of what was paid. If-Match (optional): the order’s ETag; stale → 412.',
      request: { params: z.object({ id: OrderId }), headers: IfMatchHeader },
      responses: {
        200: json(z.object({ id: z.string(), status: z.enum(ORDER_STATUSES), coinsEarned: z.number().int(), position: z.string() }), 'completed'),
        ...errors(400, 401, 404, 409, 412),
      },
    }),
    async (c) => {
      const expectedVersion = parseIfMatch(c.req.header('If-Match'));
      const result = await completeOrder(deps, actorOf(c), c.req.valid('param').id, commandMetadata(c), undefined, expectedVersion);
      return c.json({ id: result.order.orderId, status: result.order.status, coinsEarned: result.order.coinsEarned ?? 0, position: String(result.position) }, 200, { ETag: etag(result.revision), 'X-Position': String(result.position) });
    },
  );

  return app;
}
