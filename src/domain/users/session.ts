import { UnauthenticatedError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/**
 * A login session is a family of rotating refresh tokens (`session-<familyId>`). Only hashes are
 * stored. Presenting a token that was already rotated away means it leaked: the family is revoked.
 */
export type SessionEvent =
  | { type: 'SessionStarted'; data: { familyId: string; userId: string; tokenHash: string; expiresAt: string; at: string } }
  | { type: 'SessionRefreshed'; data: { familyId: string; tokenHash: string; expiresAt: string; at: string } }
  | { type: 'SessionRevoked'; data: { familyId: string; reason: 'logout' | 'refresh_token_reused' | 'password_changed'; at: string } };

export type SessionCommand =
  | { type: 'StartSession'; familyId: string; userId: string; tokenHash: string; expiresAt: string; at: string }
  | { type: 'RefreshSession'; presentedHash: string; newHash: string; expiresAt: string; at: string }
  | { type: 'RevokeSession'; presentedHash: string | null; reason: 'logout' | 'password_changed'; at: string };

export type Session =
  | { status: 'none' }
  | {
      status: 'active' | 'revoked';
      familyId: string;
      userId: string;
      startedAt: string;
      currentHash: string;
      expiresAt: string;
      retiredHashes: string[];
    };

const invalid = () => new UnauthenticatedError('the refresh token is invalid or expired');

export const sessionDecider: Decider<SessionCommand, SessionEvent, Session> = {
  initialState: () => ({ status: 'none' }),
  evolve(state, event) {
    switch (event.type) {
      case 'SessionStarted':
        return {
          status: 'active',
          familyId: event.data.familyId,
          userId: event.data.userId,
          startedAt: event.data.at,
          currentHash: event.data.tokenHash,
          expiresAt: event.data.expiresAt,
          retiredHashes: [],
        };
      case 'SessionRefreshed':
        if (state.status === 'none') return state;
        return {
          ...state,
          currentHash: event.data.tokenHash,
          expiresAt: event.data.expiresAt,
          retiredHashes: [...state.retiredHashes, state.currentHash],
        };
      case 'SessionRevoked':
        return state.status === 'none' ? state : { ...state, status: 'revoked' };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'StartSession':
        if (state.status !== 'none') return [];
        return [
          {
            type: 'SessionStarted',
            data: { familyId: command.familyId, userId: command.userId, tokenHash: command.tokenHash, expiresAt: command.expiresAt, at: command.at },
          },
        ];
      case 'RefreshSession': {
        if (state.status === 'none') throw invalid();
        if (state.status === 'revoked') throw invalid();
        if (state.retiredHashes.includes(command.presentedHash)) {
          return [{ type: 'SessionRevoked', data: { familyId: state.familyId, reason: 'refresh_token_reused', at: command.at } }];
        }
        if (state.currentHash !== command.presentedHash || state.expiresAt <= command.at) throw invalid();
        return [{ type: 'SessionRefreshed', data: { familyId: state.familyId, tokenHash: command.newHash, expiresAt: command.expiresAt, at: command.at } }];
      }
      case 'RevokeSession':
        if (state.status !== 'active') return [];
        if (command.presentedHash !== null && command.presentedHash !== state.currentHash) return [];
        return [{ type: 'SessionRevoked', data: { familyId: state.familyId, reason: command.reason, at: command.at } }];
    }
  },
};

export const sessionStream = (familyId: string) => `session-${familyId}`;
