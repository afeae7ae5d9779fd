import type { Deps } from '../../deps.js';
import { encodeCursor, keysetStart } from '../../kernel/cursor.js';
import type { Role } from '../../domain/common/actor.js';
import type { UserView } from '../../domain/users/view.js';
import { USERS } from '../../projections/users/users.js';

export type UserSearchField = 'email' | 'phone' | 'nickname';

export interface FindUsersQuery {
  /** A prefix of the e-mail (has an @), the phone (digits, optional +) or the nickname (anything else). */
  q?: string | undefined;
  /** Which field `q` is a prefix of, when the guess above is not wanted. */
  by?: UserSearchField | undefined;
  role?: Role | undefined;
  limit: number;
  cursor?: string | null | undefined;
}

/** Rows a request looks at, at most, while filtering by role (a page may then hold fewer rows than asked, with a nextCursor). */
export const USER_SCAN_LIMIT = 500;

export const searchField = (q: string): UserSearchField => (q.includes('@') ? 'email' : /^\+?\d+$/.test(q) ? 'phone' : 'nickname');

/**
 * Users for the console (admin): with `q`, those whose e-mail, phone or nickname starts with it, in that
 * field's order (a keyset range scan over the field's index: from the first value ≥ q while the values
 * start with q); without, everyone, newest first. `role` keeps those with the role, looking at no more
 * than USER_SCAN_LIMIT rows per request.
 */
export async function findUsers(deps: Pick<Deps, 'views'>, query: FindUsersQuery): Promise<{ items: UserView[]; nextCursor: string | null }> {
  const q = query.q?.trim() ?? '';
  const field = q ? (query.by ?? searchField(q)) : 'registeredAt';
  const prefix = field === 'email' ? q.toLowerCase() : q;
  const orderBy = { field, direction: q ? ('asc' as const) : ('desc' as const) };
  const items: UserView[] = [];
  let cursor = query.cursor ?? (q ? keysetStart(prefix) : null);
  let scanned = 0;
  while (items.length < query.limit && scanned < USER_SCAN_LIMIT) {
    const batch = Math.min(USER_SCAN_LIMIT - scanned, query.role ? Math.max(50, query.limit) : query.limit - items.length);
    const page = await deps.views.find<UserView>(USERS, { orderBy, limit: batch, cursor });
    for (const user of page.items) {
      scanned += 1;
      const value = user[field];
      if (q && !(typeof value === 'string' && (field === 'email' ? value.toLowerCase() : value).startsWith(prefix))) return { items, nextCursor: null };
      if (!query.role || user.roles.includes(query.role)) items.push(user);
      cursor = encodeCursor([value as string | null, user.id]);
      if (items.length === query.limit) return { items, nextCursor: page.nextCursor || page.items[page.items.length - 1] !== user ? cursor : null };
    }
    if (!page.nextCursor) return { items, nextCursor: null };
    cursor = page.nextCursor;
  }
  return { items, nextCursor: cursor };
}
