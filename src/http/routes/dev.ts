import { createRoute, z } from '@hono/zod-openapi';
import type { ReadableOutbox } from '../../ports/outbox.js';
import { errors, json, router } from '../openapi.js';

const MessageSchema = z.object({ to: z.string(), channel: z.enum(['sms', 'email']), purpose: z.string(), code: z.string().optional(), text: z.string(), sentAt: z.string() });

/** Development conveniences; mounted only while the dev outbox is enabled (never in production). */
export function devRoutes(outbox: ReadableOutbox) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/outbox',
      tags: ['Development'],
      summary: 'Messages (SMS and reset codes) sent to a phone or e-mail, newest first',
      request: { query: z.object({ to: z.string().min(1).max(254), limit: z.coerce.number().int().min(1).max(100).default(20) }) },
      responses: { 200: json(z.object({ items: z.array(MessageSchema) }), 'sent messages'), ...errors(400) },
    }),
    async (c) => {
      const { to, limit } = c.req.valid('query');
      return c.json({ items: await outbox.sentTo(to, limit) }, 200);
    },
  );
  return app;
}
