import { describe, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { sessionDecider, type SessionEvent } from '../../../src/domain/users/session.js';
import { UnauthenticatedError } from '../../../src/kernel/errors.js';

const at = '2026-11-25T10:00:00.000Z';
const later = '2026-11-25T11:00:00.000Z';
const expiresAt = '2026-12-25T10:00:00.000Z';
const started: SessionEvent = { type: 'SessionStarted', data: { familyId: 'f1', userId: 'u1', tokenHash: 'h0', expiresAt, at } };
const refreshed: SessionEvent = { type: 'SessionRefreshed', data: { familyId: 'f1', tokenHash: 'h1', expiresAt, at: later } };
const session = spec(sessionDecider);

describe('session decider (rotating refresh tokens)', () => {
  it('rotates the current token', () =>
    session.given(started).when({ type: 'RefreshSession', presentedHash: 'h0', newHash: 'h1', expiresAt, at: later }).then(refreshed));

  it('revokes the whole family when a rotated-away token is presented again', () =>
    session
      .given(started, refreshed)
      .when({ type: 'RefreshSession', presentedHash: 'h0', newHash: 'h2', expiresAt, at: later })
      .then({ type: 'SessionRevoked', data: { familyId: 'f1', reason: 'refresh_token_reused', at: later } }));

  it('refuses the current token once the family is revoked', () =>
    session
      .given(started, refreshed, { type: 'SessionRevoked', data: { familyId: 'f1', reason: 'refresh_token_reused', at: later } })
      .when({ type: 'RefreshSession', presentedHash: 'h1', newHash: 'h2', expiresAt, at: later })
      .thenThrows(UnauthenticatedError));

  it('refuses an unknown token without revoking', () =>
    session.given(started).when({ type: 'RefreshSession', presentedHash: 'nope', newHash: 'h1', expiresAt, at: later }).thenThrows(UnauthenticatedError));

  it('refuses an expired session', () =>
    session.given(started).when({ type: 'RefreshSession', presentedHash: 'h0', newHash: 'h1', expiresAt, at: '2027-01-01T00:00:00.000Z' }).thenThrows(UnauthenticatedError));

  it('refuses a session that never started', () =>
    session.given().when({ type: 'RefreshSession', presentedHash: 'h0', newHash: 'h1', expiresAt, at }).thenThrows(UnauthenticatedError));

  it('logs out with the current token; a second logout is a no-op', () => {
    session.given(started).when({ type: 'RevokeSession', presentedHash: 'h0', reason: 'logout', at }).then({ type: 'SessionRevoked', data: { familyId: 'f1', reason: 'logout', at } });
    session
      .given(started, { type: 'SessionRevoked', data: { familyId: 'f1', reason: 'logout', at } })
      .when({ type: 'RevokeSession', presentedHash: 'h0', reason: 'logout', at })
      .thenNothing();
  });

  it('ignores a logout with a token that is not current', () =>
    session.given(started, refreshed).when({ type: 'RevokeSession', presentedHash: 'h0', reason: 'logout', at }).thenNothing());

  it('starting twice is a no-op', () =>
    session.given(started).when({ type: 'StartSession', familyId: 'f1', userId: 'u1', tokenHash: 'h0', expiresAt, at }).thenNothing());
});
