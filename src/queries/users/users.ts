import type { Deps } from '../../deps.js';
import type { UserView } from '../../domain/users/view.js';
import { USERS } from '../../projections/users/users.js';
import { accountIds, accountStream } from '../../domain/accounts/account-ids.js';

/** The profile; `points` is the user's coins balance (`coins.<user>` account, docs/ledger.md). */
export const getUser = async (deps: Pick<Deps, 'views' | 'handlers'>, userId: string): Promise<UserView | null> => {
  const user = await deps.views.get<UserView>(USERS, userId);
  if (!user) return user;
  return { ...user, points: await pointsOf(deps, userId) };
};

/** The user's coins balance, read from the account stream (what `points` shows everywhere). */
export const pointsOf = async (deps: Pick<Deps, 'handlers'>, userId: string): Promise<number> =>
  (await deps.handlers.account.load(accountStream(accountIds.coins(userId)))).state.balance;
