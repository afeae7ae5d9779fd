import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ReadableOutbox } from '../../ports/outbox.js';
import { ForbiddenError } from '../../kernel/errors.js';
import type { AppEnv } from '../env.js';
import { errors, json, router } from '../openapi.js';

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(address) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(address);
}

/** Headers a reverse proxy adds: a proxy on this host makes every client look like loopback. */
const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/**
 * Whether the request comes from this machine: the peer of its socket is a loopback address and no proxy
 * forwarded it. A request without a socket (app.request / app.fetch called in this process) is local.
 */
export function isLocalRequest(c: Context<AppEnv>): boolean {
  if (FORWARDED.some((name) => c.req.header(name) !== undefined)) return false;
  const bindings = c.env as { incoming?: IncomingMessage; server?: { incoming?: IncomingMessage } } | undefined;
  const incoming = bindings?.server?.incoming ?? bindings?.incoming;
  if (!incoming) return true;
  const address = incoming.socket?.remoteAddress;
  return address !== undefined && isLoopbackAddress(address);
}

/**
 * Guards /api/v1/dev/* (SMS outbox, sandbox triggers), which exist only outside production: `loopback`
 * (the default) answers clients on this machine only, so a server deployed without NODE_ENV=production
 * does not hand anyone's login code to the world; `on` (BAZAAR_DEV_ROUTES=on) opens them to every client.
 */
export function devRoutesGate(mode: 'loopback' | 'on'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (mode !== 'on' && !isLocalRequest(c)) {
      throw new ForbiddenError('the dev routes answer clients on this machine only (BAZAAR_DEV_ROUTES=on opens them to every client)');
    }
    await next();
  };
}

const MessageSchema = z.object({ to: z.string(), channel: z.enum(['sms', 'email']), purpose: z.string(), code: z.string().optional(), text: z.string(), sentAt: z.string() });

/** Development conveniences; mounted only while the dev outbox is enabled (never in production), behind devRoutesGate. */
export function devRoutes(outbox: ReadableOutbox) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/outbox',
      tags: ['Development'],
      summary: 'Messages (SMS and reset codes) sent to a phone or e-mail, newest first',
      description: 'Dev routes exist outside production only and answer clients on the server’s machine (loopback, not forwarded by a proxy) unless BAZAAR_DEV_ROUTES=on; others get 403.',
      request: { query: z.object({ to: z.string().min(1).max(254), limit: z.coerce.number().int().min(1).max(100).default(20) }) },
      responses: { 200: json(z.object({ items: z.array(MessageSchema) }), 'sent messages'), ...errors(400, 403) },
    }),
    async (c) => {
      const { to, limit } = c.req.valid('query');
      return c.json({ items: await outbox.sentTo(to, limit) }, 200);
    },
  );
  return app;
}
