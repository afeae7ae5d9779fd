import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError } from '../../kernel/errors.js';
import type { Role } from '../../domain/common/actor.js';
import { userStream, type ActiveUser, type ProfileChanges } from '../../domain/users/user.js';
import { userView, type UserView } from '../../domain/users/view.js';

export interface UserCommandResult {
  user: UserView;
  position: number;
}

export async function updateProfile(
  deps: Deps,
  input: { userId: string; changes: ProfileChanges; expectedVersion?: number },
  metadata: EventMetadata,
): Promise<UserCommandResult> {
  const result = await deps.handlers.user.handle(
    userStream(input.userId),
    { type: 'UpdateProfile', changes: input.changes, at: deps.clock.now().toISOString() },
    { metadata, expectedRevision: input.expectedVersion },
  );
  return { user: userView(result.state as ActiveUser, result.revision), position: result.position };
}

export async function setRoles(deps: Deps, input: { userId: string; roles: Role[]; expectedVersion?: number | undefined }, metadata: EventMetadata): Promise<UserCommandResult> {
  const stream = userStream(input.userId);
  if ((await deps.handlers.user.load(stream)).state.status !== 'active') throw new NotFoundError('user');
  const options = { metadata, ...(input.expectedVersion === undefined ? {} : { expectedRevision: input.expectedVersion }) };
  const result = await deps.handlers.user.handle(stream, { type: 'SetRoles', roles: input.roles, at: deps.clock.now().toISOString() }, options);
  return { user: userView(result.state as ActiveUser, result.revision), position: result.position };
}
