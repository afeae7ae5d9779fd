import type { ViewProjection } from '../../kernel/view-projection.js';
import type { ViewDocument } from '../../ports/view-store.js';
import { evolve, type UserEvent } from '../../domain/users/user.js';
import { userFromView, userView, type UserView } from '../../domain/users/view.js';

export const USERS = 'users';
export const USER_LOGINS = 'user_logins';

const isUserEvent = (type: string) => type.startsWith('User');
export const loginKey = (kind: 'email' | 'phone', value: string) => `${kind}:${value}`;

/** Profiles (GET /me) and the login lookup (e-mail / phone → user id). */
export const usersProjection: ViewProjection = {
  name: 'users',
  collections: [USERS, USER_LOGINS],
  /** The console's user search (src/queries/users/find-users.ts): prefix scans and the newest first. */
  indexes: { [USERS]: [['email'], ['phone'], ['nickname'], ['registeredAt']] },
  route(event) {
    if (!event.streamId.startsWith('user-') || !isUserEvent(event.type)) return [];
    const data = event.data as { userId: string; phone?: string | null; email?: string | null };
    const keys = [{ collection: USERS, id: data.userId }];
    if (event.type === 'UserRegistered') {
      if (data.phone) keys.push({ collection: USER_LOGINS, id: loginKey('phone', data.phone) });
      if (data.email) keys.push({ collection: USER_LOGINS, id: loginKey('email', data.email) });
    }
    return keys;
  },
  evolve(doc, event, key) {
    if (key.collection === USER_LOGINS) return { userId: (event.data as { userId: string }).userId };
    const next = evolve(userFromView(doc as UserView | null), { type: event.type, data: event.data } as UserEvent);
    return next.status === 'active' ? (userView(next, event.revision) as ViewDocument) : null;
  },
};
