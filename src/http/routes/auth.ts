import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import {
  forgotPassword,
  loginWithCode,
  loginWithPassword,
  logout,
  refreshSession,
  registerWithCode,
  requestCode,
  resetPassword,
  type AuthResult,
} from '../../commands/users/accounts.js';
import { mergeGuestCartOnSignIn } from '../../commands/carts/carts.js';
import { pointsOf } from '../../queries/users/users.js';
import { commandMetadata } from '../command-metadata.js';
import { recordWriteFor } from '../middleware/consistency.js';
import { errors, json, jsonBody, router } from '../openapi.js';
import { AuthResultSchema, CodeSchema, EmailSchema, NewPasswordSchema, NicknameSchema, PasswordSchema, PhoneSchema } from './user-schemas.js';

const tags = ['Users and auth'];
const RefreshBody = z.object({ refreshToken: z.string().min(20).max(200) }).strict();

/** Signing in or registering with a guest cart's token merges that cart into the account's. */
const GuestCartHeader = z.object({
  'x-cart-token': z.string().optional().openapi({ description: "a guest cart's token: its lines are merged into the account's cart" }),
});

export function authRoutes(deps: Deps) {
  const app = router();
  /** The sign-in answer; `user.points` is the coins balance, as GET /me shows it. */
  const authResult = async (result: AuthResult) => ({ ...result, user: { ...result.user, points: await pointsOf(deps, result.user.id) }, position: String(result.position) });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sms-codes',
      tags,
      summary: 'Send a one-time code by SMS (1 per phone per 60 s)',
      request: { body: jsonBody(z.object({ phone: PhoneSchema, purpose: z.enum(['register', 'login', 'reset_password']) }).strict()) },
      responses: { 202: json(z.object({ expiresInSeconds: z.number().int() }), 'sent (or, for an unknown account, silently not sent)'), ...errors(400, 415, 429) },
    }),
    async (c) => c.json(await requestCode(deps, { ...c.req.valid('json'), ip: c.get('clientIp') }), 202),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/register',
      tags,
      summary: 'Register with a phone, its SMS code and a password',
      request: {
        headers: GuestCartHeader,
        body: jsonBody(z.object({ phone: PhoneSchema, code: CodeSchema, password: NewPasswordSchema, nickname: NicknameSchema, email: EmailSchema.optional() }).strict()),
      },
      responses: { 201: json(AuthResultSchema, 'registered and signed in'), ...errors(400, 409, 415) },
    }),
    async (c) => {
      const result = await registerWithCode(deps, c.req.valid('json'), commandMetadata(c));
      recordWriteFor(c, result.user.id);
      await mergeGuestCartOnSignIn(deps, result.user.id, c.req.header('X-Cart-Token'));
      return c.json(await authResult(result), 201, { 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/login',
      tags,
      summary: 'Sign in with e-mail or phone and password',
      request: { headers: GuestCartHeader, body: jsonBody(z.object({ identifier: z.string().trim().min(1).max(254), password: PasswordSchema }).strict()) },
      responses: { 200: json(AuthResultSchema, 'signed in'), ...errors(400, 401, 415, 429) },
    }),
    async (c) => {
      const result = await loginWithPassword(deps, { ...c.req.valid('json'), ip: c.get('clientIp') }, commandMetadata(c));
      recordWriteFor(c, result.user.id);
      await mergeGuestCartOnSignIn(deps, result.user.id, c.req.header('X-Cart-Token'));
      return c.json(await authResult(result), 200, { 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/login/sms',
      tags,
      summary: 'Sign in with phone and SMS code',
      request: { headers: GuestCartHeader, body: jsonBody(z.object({ phone: PhoneSchema, code: CodeSchema }).strict()) },
      responses: { 200: json(AuthResultSchema, 'signed in'), ...errors(400, 415, 429) },
    }),
    async (c) => {
      const result = await loginWithCode(deps, { ...c.req.valid('json'), ip: c.get('clientIp') }, commandMetadata(c));
      recordWriteFor(c, result.user.id);
      await mergeGuestCartOnSignIn(deps, result.user.id, c.req.header('X-Cart-Token'));
      return c.json(await authResult(result), 200, { 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/refresh',
      tags,
      summary: 'Exchange a refresh token for a new pair (rotation; reuse revokes the sign-in)',
      request: { body: jsonBody(RefreshBody) },
      responses: { 200: json(AuthResultSchema, 'new token pair'), ...errors(400, 401, 415) },
    }),
    async (c) => {
      const result = await refreshSession(deps, c.req.valid('json').refreshToken, commandMetadata(c));
      recordWriteFor(c, result.user.id);
      return c.json(await authResult(result), 200, { 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/logout',
      tags,
      summary: 'Revoke the refresh token and its sign-in',
      request: { body: jsonBody(RefreshBody) },
      responses: { 204: { description: 'signed out' }, ...errors(400, 401, 415) },
    }),
    async (c) => {
      await logout(deps, c.req.valid('json').refreshToken, commandMetadata(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/password/forgot',
      tags,
      summary: 'Send a password reset code (202 whether or not the account exists)',
      request: { body: jsonBody(z.object({ identifier: z.string().trim().min(1).max(254) }).strict()) },
      responses: { 202: { description: 'accepted' }, ...errors(400, 415, 429) },
    }),
    async (c) => {
      await forgotPassword(deps, { identifier: c.req.valid('json').identifier, ip: c.get('clientIp') });
      return c.body(null, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/password/reset',
      tags,
      summary: 'Set a new password with the reset code',
      request: {
        body: jsonBody(z.object({ identifier: z.string().trim().min(1).max(254), code: CodeSchema, newPassword: NewPasswordSchema }).strict()),
      },
      responses: { 204: { description: 'password changed; earlier sign-ins can no longer refresh' }, ...errors(400, 415) },
    }),
    async (c) => {
      const position = await resetPassword(deps, c.req.valid('json'), commandMetadata(c));
      return c.body(null, 204, { 'X-Position': String(position) });
    },
  );

  return app;
}
