import { ConflictError, NotFoundError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/**
 * A merchant API key for server-to-server item sync (`apikey-<id>`). Only the sha256 of the key is
 * stored; the key itself (`bzk_<id>_<secret>`) is shown once. The id inside the key names the stream,
 * so a key is checked by reading that one stream: a revocation holds from the next request on.
 */
export type ApiKeyEvent =
  | { type: 'ApiKeyIssued'; data: { apiKeyId: string; merchantId: string; name: string; keyHash: string; issuedBy: string; at: string } }
  | { type: 'ApiKeyRevoked'; data: { apiKeyId: string; merchantId: string; at: string } };

export type ApiKeyCommand =
  | { type: 'IssueApiKey'; apiKeyId: string; merchantId: string; name: string; keyHash: string; issuedBy: string; at: string }
  | { type: 'RevokeApiKey'; at: string };

export type ApiKey =
  | { status: 'none' }
  | {
      status: 'active' | 'revoked';
      apiKeyId: string;
      merchantId: string;
      name: string;
      keyHash: string;
      /** The user who created the key: it acts only while that user still may (see verifyApiKey). */
      issuedBy: string;
      issuedAt: string;
      revokedAt: string | null;
    };

export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyEvent, ApiKey> = {
  initialState: () => ({ status: 'none' }),
  evolve(state, event) {
    switch (event.type) {
      case 'ApiKeyIssued': {
        const { apiKeyId, merchantId, name, keyHash, issuedBy, at } = event.data;
        return { status: 'active', apiKeyId, merchantId, name, keyHash, issuedBy, issuedAt: at, revokedAt: null };
      }
      case 'ApiKeyRevoked':
        return state.status === 'none' ? state : { ...state, status: 'revoked', revokedAt: event.data.at };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'IssueApiKey': {
        if (state.status !== 'none') {
          if (state.keyHash === command.keyHash) return [];
          throw new ConflictError('API_KEY_EXISTS', 'this API key id is taken');
        }
        const { type: _type, ...data } = command;
        return [{ type: 'ApiKeyIssued', data }];
      }
      case 'RevokeApiKey':
        if (state.status === 'none') throw new NotFoundError('API key');
        if (state.status === 'revoked') return [];
        return [{ type: 'ApiKeyRevoked', data: { apiKeyId: state.apiKeyId, merchantId: state.merchantId, at: command.at } }];
    }
  },
};

export const apiKeyStream = (apiKeyId: string) => `apikey-${apiKeyId}`;
