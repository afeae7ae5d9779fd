import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jwtTokenService } from '../../../src/commands/users/tokens.js';
import { UnauthenticatedError } from '../../../src/kernel/errors.js';

const secret = 'access-token-test-secret-0123456789abcdef';

describe('access tokens', () => {
  it('verifies a token it issued, again and again, with the same claims', async () => {
    const tokens = jwtTokenService(secret);
    const token = await tokens.issueAccessToken({ userId: 'u-1', roles: ['customer'] }, new Date());
    expect(await tokens.verifyAccessToken(token)).toEqual({ userId: 'u-1', roles: ['customer'] });
    expect(await tokens.verifyAccessToken(token)).toEqual({ userId: 'u-1', roles: ['customer'] });
  });

  it('refuses a token signed with another secret, or altered, even after verifying the genuine one', async () => {
    const tokens = jwtTokenService(secret);
    const token = await tokens.issueAccessToken({ userId: 'u-1', roles: ['customer'] }, new Date());
    await tokens.verifyAccessToken(token);
    const foreign = await jwtTokenService('another-secret-that-is-long-enough-123456').issueAccessToken({ userId: 'u-1', roles: ['admin'] }, new Date());
    await expect(tokens.verifyAccessToken(foreign)).rejects.toBeInstanceOf(UnauthenticatedError);
    const [header, , signature] = token.split('.');
    const claims = Buffer.from(JSON.stringify({ sub: 'u-1', roles: ['admin'], typ: 'access', iss: 'bazaar', exp: 4102444800 })).toString('base64url');
    await expect(tokens.verifyAccessToken(`${header}.${claims}.${signature}`)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it("refuses unsigned tokens, other algorithms, another issuer, a refresh-typed token and one issued already expired", async () => {
    const tokens = jwtTokenService(secret);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const hmac = (alg: 'sha256' | 'sha512', input: string) => createHmac(alg, secret).update(input).digest('base64url');
    const claims = { sub: 'u-1', roles: ['admin'], typ: 'access', iss: 'bazaar', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 };
    const signed = (header: unknown, payload: unknown, alg: 'sha256' | 'sha512' = 'sha256') => {
      const input = `${encode(header)}.${encode(payload)}`;
      return `${input}.${hmac(alg, input)}`;
    };
    expect(await tokens.verifyAccessToken(signed({ alg: 'HS256', typ: 'JWT' }, claims))).toEqual({ userId: 'u-1', roles: ['admin'] }); // the forge below is right but for one thing each
    const refused = [
      `${encode({ alg: 'none' })}.${encode(claims)}.`,
      signed({ alg: 'HS512' }, claims, 'sha512'),
      signed({ alg: 'HS256' }, { ...claims, iss: 'elsewhere' }),
      signed({ alg: 'HS256' }, { ...claims, typ: 'refresh' }),
      signed({ alg: 'HS256' }, { ...claims, exp: undefined }),
      'not.a.token',
      '',
    ];
    for (const token of refused) await expect(tokens.verifyAccessToken(token), token).rejects.toThrow(/invalid access token/);
    const expired = await tokens.issueAccessToken({ userId: 'u-1', roles: ['customer'] }, new Date(Date.now() - 3600_000));
    await expect(tokens.verifyAccessToken(expired)).rejects.toThrow(/expired/);
  });

  it('refuses a remembered token once it expires', async () => {
    const tokens = jwtTokenService(secret, { accessTtlSeconds: 1 });
    const token = await tokens.issueAccessToken({ userId: 'u-1', roles: ['customer'] }, new Date());
    await tokens.verifyAccessToken(token);
    const expiresAtMs = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAtMs - Date.now()) + 20));
    await expect(tokens.verifyAccessToken(token)).rejects.toThrow(/expired/);
  });
});
