import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { receiveFulfillmentCallback } from '../../commands/fulfillment/shipments.js';
import { commandMetadata } from '../command-metadata.js';
import { errors, json, router } from '../openapi.js';

const Outcome = z.object({ shipmentId: z.string(), status: z.string(), position: z.string() }).openapi('FulfillmentOutcome');

/** POST /fulfillment/callbacks/:provider: the carrier's signed outcome. */
export function fulfillmentRoutes(deps: Deps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/fulfillment/callbacks/{provider}',
      tags: ['Fulfillment'],
      summary: "The carrier's signed callback: { shipmentId, status: delivered | failed | returned }",
      description:
        'X-Signature: HMAC-SHA256 (hex) of the raw body. A bad or missing signature is 401 and records nothing; duplicates are no-ops. `delivered` moves the order to delivered; `failed` marks its fulfilment failed and refunds it automatically; `returned` (after `failed`: the parcel is back at the merchant) puts its goods back in stock, once.',
      request: { params: z.object({ provider: z.string().min(1).max(40) }), headers: z.object({ 'x-signature': z.string().optional() }) },
      responses: { 200: json(Outcome, 'accepted'), ...errors(400, 401, 404, 409) },
    }),
    async (c) => {
      const raw = await c.req.text();
      const shipment = await receiveFulfillmentCallback(deps, c.req.valid('param').provider, raw, c.req.header('X-Signature'), commandMetadata(c));
      return c.json({ shipmentId: shipment.shipmentId, status: shipment.status, position: String(shipment.position) }, 200);
    },
  );
  return app;
}

/** Sandbox carrier controls (mounted only while the dev outbox is enabled): each sends the signed callback. */
export function sandboxFulfillmentDevRoutes(deps: Deps) {
  const app = router();
  for (const status of ['delivered', 'failed', 'returned'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/sandbox/shipments/{shipmentId}/${status}`,
        tags: ['Development'],
        summary: `The sandbox carrier reports the shipment ${status} (signed callback)`,
        description: 'A dev route: loopback clients only unless BAZAAR_DEV_ROUTES=on (others get 403).',
        request: { params: z.object({ shipmentId: z.string().min(1).max(100) }) },
        responses: { 200: json(z.object({ shipmentId: z.string(), reported: z.string() }), 'reported'), ...errors(400, 403, 404) },
      }),
      async (c) => {
        const carrier = deps.fulfillmentProvider; // reached through the port: its optional sandbox controls
        const { shipmentId } = c.req.valid('param');
        if (!carrier.report || !(await carrier.report(shipmentId, status, status === 'failed' ? 'sandbox_failure' : undefined))) throw new NotFoundError('sandbox shipment');
        return c.json({ shipmentId, reported: status }, 200);
      },
    );
  }
  return app;
}
