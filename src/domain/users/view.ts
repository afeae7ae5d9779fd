import type { Role } from '../common/actor.js';
import type { ActiveUser, Address, Gender, User } from './user.js';

/** The user as clients see it (docs/api.md /me); never carries the password hash. */
export interface UserView {
  [key: string]: unknown;
  id: string;
  phone: string | null;
  email: string | null;
  nickname: string;
  fullName: string | null;
  gender: Gender | null;
  dateOfBirth: string | null;
  avatar: string | null;
  shippingAddress: Address | null;
  billingAddress: Address | null;
  roles: Role[];
  status: 'active';
  registeredAt: string;
  lastLoginAt: string | null;
  points: number;
  /** Stream revision: the ETag of the user resource. */
  version: number;
}

export function userView(user: ActiveUser, version: number): UserView {
  return {
    id: user.userId,
    phone: user.phone,
    email: user.email,
    ...user.profile,
    roles: user.roles,
    status: 'active',
    registeredAt: user.registeredAt,
    lastLoginAt: user.lastLoginAt,
    points: 0,
    version,
  };
}

/** Rebuilds the aggregate state a view was made from (without secrets), so a projection can reuse `evolve`. */
export function userFromView(view: UserView | null): User {
  if (!view) return { status: 'none' };
  const { nickname, fullName, gender, dateOfBirth, avatar, shippingAddress, billingAddress } = view;
  return {
    status: 'active',
    userId: view.id,
    phone: view.phone,
    email: view.email,
    passwordHash: '',
    passwordChangedAt: view.registeredAt,
    roles: view.roles,
    profile: { nickname, fullName, gender, dateOfBirth, avatar, shippingAddress, billingAddress },
    registeredAt: view.registeredAt,
    lastLoginAt: view.lastLoginAt,
  };
}
