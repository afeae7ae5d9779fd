import type { Deps } from '../../deps.js';
import type { UserView } from '../../domain/users/view.js';
import { USERS } from '../../projections/users/users.js';

export const getUser = (deps: Pick<Deps, 'views'>, userId: string): Promise<UserView | null> => deps.views.get<UserView>(USERS, userId);
