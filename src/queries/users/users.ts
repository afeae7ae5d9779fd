import type { Deps } from '../../deps.js';
import type { UserView } from '../../domain/users/view.js';
import { USERS } from '../../projections/users/users.js';
import { accountIds, accountStream } from '../../domain/accounts/account-ids.js';

/** The profile; `points` is the user's coins balance (`coins.<user>` account, docs/ledger.md). */
export const getUser = async (deps: Pick<Deps, 'views' | 'handlers'>, userId: string): Promise<UserView | null> => {
  const user = await deps.views.get<UserView>(USERS, userId);
  if (!user) return user;
  const { state } = await deps.handlers.account.load(accountStream(accountIds.coins(userId)));
  return { ...user, points: state.balance };
};
