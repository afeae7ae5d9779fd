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

  it('refuses a remembered token once it expires', async () => {
    const tokens = jwtTokenService(secret, { accessTtlSeconds: 1 });
    const token = await tokens.issueAccessToken({ userId: 'u-1', roles: ['customer'] }, new Date());
    await tokens.verifyAccessToken(token);
    const expiresAtMs = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAtMs - Date.now()) + 20));
    await expect(tokens.verifyAccessToken(token)).rejects.toThrow(/expired/);
  });
});
