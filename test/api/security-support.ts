import { userStream } from '../../src/domain/users/user.js';
import type { Role } from '../../src/domain/common/actor.js';
import type { TestRuntime } from '../support/runtime.js';

/** Registers a user under a chosen id (the catalog worlds sign tokens for ids such as `merchant-a`). */
export async function registerUser(world: { runtime: TestRuntime }, userId: string, roles: Role[]): Promise<void> {
  await world.runtime.deps.handlers.user.handle(userStream(userId), {
    type: 'RegisterUser',
    userId,
    phone: null,
    email: null,
    nickname: userId,
    passwordHash: 'not-a-password',
    roles,
    at: new Date().toISOString(),
  });
}
