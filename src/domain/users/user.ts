import { ConflictError, InvalidStateTransition, NotFoundError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import type { Role } from '../common/actor.js';

export interface Address {
  recipient: string;
  phone: string;
  country: string;
  province?: string;
  city: string;
  district?: string;
  line1: string;
  line2?: string;
  postalCode?: string;
}

export const GENDERS = ['female', 'male', 'other', 'undisclosed'] as const;
export type Gender = (typeof GENDERS)[number];

export interface Profile {
  nickname: string;
  fullName: string | null;
  gender: Gender | null;
  dateOfBirth: string | null;
  avatar: string | null;
  shippingAddress: Address | null;
  billingAddress: Address | null;
}

export type ProfileChanges = Partial<Profile>;

export type UserEvent =
  | {
      type: 'UserRegistered';
      data: { userId: string; phone: string | null; email: string | null; nickname: string; passwordHash: string; roles: Role[]; registeredAt: string };
    }
  | { type: 'UserProfileUpdated'; data: { userId: string; changes: ProfileChanges; updatedAt: string } }
  | { type: 'UserPasswordChanged'; data: { userId: string; passwordHash: string; changedAt: string } }
  | { type: 'UserRolesChanged'; data: { userId: string; roles: Role[]; changedAt: string } }
  | { type: 'UserLoggedIn'; data: { userId: string; method: 'password' | 'sms'; at: string } };

export type UserCommand =
  | {
      type: 'RegisterUser';
      userId: string;
      phone: string | null;
      email: string | null;
      nickname: string;
      passwordHash: string;
      roles: Role[];
      at: string;
    }
  | { type: 'UpdateProfile'; changes: ProfileChanges; at: string }
  | { type: 'ChangePassword'; passwordHash: string; at: string }
  | { type: 'SetRoles'; roles: Role[]; at: string }
  | { type: 'RecordLogin'; method: 'password' | 'sms'; at: string };

export type User =
  | { status: 'none' }
  | {
      status: 'active';
      userId: string;
      phone: string | null;
      email: string | null;
      passwordHash: string;
      passwordChangedAt: string;
      roles: Role[];
      profile: Profile;
      registeredAt: string;
      lastLoginAt: string | null;
    };

export type ActiveUser = Extract<User, { status: 'active' }>;

const emptyProfile = (nickname: string): Profile => ({
  nickname,
  fullName: null,
  gender: null,
  dateOfBirth: null,
  avatar: null,
  shippingAddress: null,
  billingAddress: null,
});

export function evolve(state: User, event: UserEvent): User {
  switch (event.type) {
    case 'UserRegistered':
      return {
        status: 'active',
        userId: event.data.userId,
        phone: event.data.phone,
        email: event.data.email,
        passwordHash: event.data.passwordHash,
        passwordChangedAt: event.data.registeredAt,
        roles: event.data.roles,
        profile: emptyProfile(event.data.nickname),
        registeredAt: event.data.registeredAt,
        lastLoginAt: null,
      };
    case 'UserProfileUpdated':
      return state.status === 'active' ? { ...state, profile: { ...state.profile, ...event.data.changes } } : state;
    case 'UserPasswordChanged':
      return state.status === 'active' ? { ...state, passwordHash: event.data.passwordHash, passwordChangedAt: event.data.changedAt } : state;
    case 'UserRolesChanged':
      return state.status === 'active' ? { ...state, roles: event.data.roles } : state;
    case 'UserLoggedIn':
      return state.status === 'active' ? { ...state, lastLoginAt: event.data.at } : state;
  }
}

export function decide(command: UserCommand, state: User): UserEvent[] {
  switch (command.type) {
    case 'RegisterUser':
      return register(command, state);
    case 'UpdateProfile': {
      const user = requireUser(state);
      const changes = Object.fromEntries(
        Object.entries(command.changes).filter(([key, value]) => JSON.stringify(user.profile[key as keyof Profile]) !== JSON.stringify(value)),
      ) as ProfileChanges;
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'UserProfileUpdated', data: { userId: user.userId, changes, updatedAt: command.at } }];
    }
    case 'ChangePassword': {
      const user = requireUser(state);
      return [{ type: 'UserPasswordChanged', data: { userId: user.userId, passwordHash: command.passwordHash, changedAt: command.at } }];
    }
    case 'SetRoles': {
      const user = requireUser(state);
      const roles = [...new Set(command.roles)].sort();
      if (JSON.stringify(roles) === JSON.stringify([...user.roles].sort())) return [];
      return [{ type: 'UserRolesChanged', data: { userId: user.userId, roles, changedAt: command.at } }];
    }
    case 'RecordLogin': {
      const user = requireUser(state);
      return [{ type: 'UserLoggedIn', data: { userId: user.userId, method: command.method, at: command.at } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

function register(command: Extract<UserCommand, { type: 'RegisterUser' }>, state: User): UserEvent[] {
  if (state.status === 'active') {
    if (state.userId === command.userId && state.phone === command.phone && state.email === command.email) return [];
    throw new ConflictError('USER_EXISTS', 'this user is already registered');
  }
  if (command.roles.length === 0) throw new InvalidStateTransition('none', 'register a user without roles');
  return [
    {
      type: 'UserRegistered',
      data: {
        userId: command.userId,
        phone: command.phone,
        email: command.email,
        nickname: command.nickname,
        passwordHash: command.passwordHash,
        roles: command.roles,
        registeredAt: command.at,
      },
    },
  ];
}

function requireUser(state: User): ActiveUser {
  if (state.status !== 'active') throw new NotFoundError('user');
  return state;
}

export const userDecider: Decider<UserCommand, UserEvent, User> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const userStream = (userId: string) => `user-${userId}`;
