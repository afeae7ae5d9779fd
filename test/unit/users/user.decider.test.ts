import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { userDecider, type UserCommand, type UserEvent } from '../../../src/domain/users/user.js';
import { ConflictError, NotFoundError } from '../../../src/kernel/errors.js';

const at = '2026-11-25T10:00:00.000Z';
const registered: UserEvent = {
  type: 'UserRegistered',
  data: { userId: 'u1', phone: '+8613800138000', email: 'a@example.com', nickname: 'Lei', passwordHash: 'h1', roles: ['customer'], registeredAt: at },
};
const register: UserCommand = {
  type: 'RegisterUser',
  userId: 'u1',
  phone: '+8613800138000',
  email: 'a@example.com',
  nickname: 'Lei',
  passwordHash: 'h1',
  roles: ['customer'],
  at,
};
const user = spec(userDecider);

describe('user decider', () => {
  it('registers a new user', () => user.given().when(register).then(registered));

  it('appends nothing when the same registration is resent', () => user.given(registered).when(register).thenNothing());

  it('refuses a different registration on an existing stream', () =>
    user.given(registered).when({ ...register, phone: '+8613900139000' }).thenThrows(ConflictError, 'USER_EXISTS'));

  it('updates only the profile fields that change', () =>
    user
      .given(registered)
      .when({ type: 'UpdateProfile', changes: { nickname: 'Lei', fullName: 'Li Lei' }, at })
      .then({ type: 'UserProfileUpdated', data: { userId: 'u1', changes: { fullName: 'Li Lei' }, updatedAt: at } }));

  it('appends nothing for a profile update that changes nothing', () =>
    user.given(registered).when({ type: 'UpdateProfile', changes: { nickname: 'Lei' }, at }).thenNothing());

  it('keeps unchanged fields when a profile update applies', () =>
    user
      .given(registered, { type: 'UserProfileUpdated', data: { userId: 'u1', changes: { gender: 'female' }, updatedAt: at } })
      .when({ type: 'UpdateProfile', changes: { avatar: 'https://img.example.com/a.png' }, at })
      .thenState((state) => {
        expect(state).toMatchObject({ profile: { nickname: 'Lei', gender: 'female', avatar: 'https://img.example.com/a.png' } });
      }));

  it('changes the password and remembers when', () =>
    user
      .given(registered)
      .when({ type: 'ChangePassword', passwordHash: 'h2', at: '2026-11-26T00:00:00.000Z' })
      .thenState((state) => expect(state).toMatchObject({ passwordHash: 'h2', passwordChangedAt: '2026-11-26T00:00:00.000Z' })));

  it('sets roles once; the same set again is a no-op', () => {
    user.given(registered).when({ type: 'SetRoles', roles: ['merchant', 'customer'], at }).then({ type: 'UserRolesChanged', data: { userId: 'u1', roles: ['customer', 'merchant'], changedAt: at } });
    user.given(registered).when({ type: 'SetRoles', roles: ['customer', 'customer'], at }).thenNothing();
  });

  it('records a login as the last login time', () =>
    user.given(registered).when({ type: 'RecordLogin', method: 'sms', at }).thenState((state) => expect(state).toMatchObject({ lastLoginAt: at })));

  it.each<UserCommand>([
    { type: 'UpdateProfile', changes: { nickname: 'x' }, at },
    { type: 'ChangePassword', passwordHash: 'h', at },
    { type: 'SetRoles', roles: ['admin'], at },
    { type: 'RecordLogin', method: 'password', at },
  ])('refuses $type for a user that does not exist', (command) => user.given().when(command).thenThrows(NotFoundError));
});
