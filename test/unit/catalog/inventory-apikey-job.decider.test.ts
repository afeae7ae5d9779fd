import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { available, inventoryDecider, type InventoryEvent } from '../../../src/domain/inventory/inventory.js';
import { apiKeyDecider, type ApiKeyEvent } from '../../../src/domain/catalog/api-key.js';
import { jobDecider, type JobEvent } from '../../../src/domain/catalog/bulk-job.js';
import { ConflictError, DomainError, InvalidStateTransition, NotFoundError, ValidationError } from '../../../src/kernel/errors.js';

const at = '2026-11-25T10:00:00.000Z';

describe('inventory decider', () => {
  const inventory = spec(inventoryDecider);
  const initialized: InventoryEvent = { type: 'StockSet', data: { skuId: 's1', productId: 'p1', onHand: 5, previousOnHand: 0, at } };

  it('initializes once (a resend appends nothing), with nothing reserved', () => {
    inventory.given().when({ type: 'InitializeStock', skuId: 's1', productId: 'p1', onHand: 5, at }).then(initialized);
    inventory.given(initialized).when({ type: 'InitializeStock', skuId: 's1', productId: 'p1', onHand: 9, at }).thenNothing();
    inventory.given(initialized).when({ type: 'AdjustStock', delta: 1, at }).thenState((state) => {
      expect(state).toMatchObject({ onHand: 6, reserved: 0 });
      expect(available(state)).toBe(6);
    });
  });

  it('sets stock; the same value appends nothing; negative is refused', () => {
    inventory.given(initialized).when({ type: 'SetStock', skuId: 's1', productId: 'p1', onHand: 2, at }).then({ type: 'StockSet', data: { skuId: 's1', productId: 'p1', onHand: 2, previousOnHand: 5, at } });
    inventory.given(initialized).when({ type: 'SetStock', skuId: 's1', productId: 'p1', onHand: 5, at }).thenNothing();
    inventory.given(initialized).when({ type: 'SetStock', skuId: 's1', productId: 'p1', onHand: -1, at }).thenThrows(ValidationError);
  });

  it('adjusts by a delta but never below zero', () => {
    inventory.given(initialized).when({ type: 'AdjustStock', delta: -5, at }).then({ type: 'StockAdjusted', data: { skuId: 's1', productId: 'p1', delta: -5, onHand: 0, at } });
    inventory.given(initialized).when({ type: 'AdjustStock', delta: -6, at }).thenThrows(ConflictError, 'STOCK_NEGATIVE');
    inventory.given(initialized).when({ type: 'AdjustStock', delta: 0, at }).thenThrows(ValidationError);
    inventory.given().when({ type: 'AdjustStock', delta: 1, at }).thenThrows(NotFoundError);
  });
});

describe('API key decider', () => {
  const apiKey = spec(apiKeyDecider);
  const issued: ApiKeyEvent = { type: 'ApiKeyIssued', data: { apiKeyId: 'k1', merchantId: 'm1', name: 'ERP', keyHash: 'h', issuedBy: 'm1', at } };
  it('issues once, revokes once', () => {
    apiKey.given().when({ type: 'IssueApiKey', apiKeyId: 'k1', merchantId: 'm1', name: 'ERP', keyHash: 'h', issuedBy: 'm1', at }).then(issued);
    apiKey.given(issued).when({ type: 'IssueApiKey', apiKeyId: 'k1', merchantId: 'm1', name: 'ERP', keyHash: 'h', issuedBy: 'm1', at }).thenNothing();
    apiKey.given(issued).when({ type: 'IssueApiKey', apiKeyId: 'k1', merchantId: 'm1', name: 'ERP', keyHash: 'other', issuedBy: 'm1', at }).thenThrows(ConflictError);
    const revoked: ApiKeyEvent = { type: 'ApiKeyRevoked', data: { apiKeyId: 'k1', merchantId: 'm1', at } };
    apiKey.given(issued).when({ type: 'RevokeApiKey', at }).then(revoked);
    apiKey.given(issued, revoked).when({ type: 'RevokeApiKey', at }).thenNothing();
    apiKey.given().when({ type: 'RevokeApiKey', at }).thenThrows(NotFoundError);
  });
});

describe('bulk job decider', () => {
  const job = spec(jobDecider);
  const definition = { jobId: 'j1', merchantId: 'm1', mode: 'create' as const, format: 'csv' as const, file: '/tmp/j1.csv', fingerprint: 'f1', startedBy: { id: 'm1', role: 'merchant' } };
  const started: JobEvent = { type: 'JobStarted', data: { ...definition, at } };
  const progressed: JobEvent = { type: 'JobProgressed', data: { jobId: 'j1', throughRow: 501, processed: 500, succeeded: 499, failed: 1, failures: [{ row: 7, error: 'bad' }], at } };

  it('starts once; the same upload again appends nothing; another upload with the key is refused', () => {
    job.given().when({ type: 'StartJob', ...definition, at }).then(started);
    job.given(started).when({ type: 'StartJob', ...definition, at }).thenNothing();
    job.given(started).when({ type: 'StartJob', ...definition, fingerprint: 'f2', at }).thenThrows(DomainError, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('records progress in chunks; a chunk already recorded (resumed job) appends nothing', () => {
    job.given(started).when({ type: 'RecordProgress', throughRow: 501, succeeded: 499, failed: 1, failures: [{ row: 7, error: 'bad' }], at }).then(progressed);
    job.given(started, progressed).when({ type: 'RecordProgress', throughRow: 400, succeeded: 1, failed: 0, failures: [], at }).thenNothing();
  });

  it('completes with the totals; then refuses more progress', () => {
    job.given(started, progressed).when({ type: 'CompleteJob', at }).then({ type: 'JobCompleted', data: { jobId: 'j1', total: 500, succeeded: 499, failed: 1, at } });
    const completed: JobEvent = { type: 'JobCompleted', data: { jobId: 'j1', total: 500, succeeded: 499, failed: 1, at } };
    job.given(started, progressed, completed).when({ type: 'CompleteJob', at }).thenNothing();
    job.given(started, completed).when({ type: 'RecordProgress', throughRow: 900, succeeded: 1, failed: 0, failures: [], at }).thenThrows(InvalidStateTransition);
    job.given(started, completed).when({ type: 'FailJob', reason: 'x', at }).thenThrows(InvalidStateTransition);
  });

  it('fails once', () => {
    const failed: JobEvent = { type: 'JobFailed', data: { jobId: 'j1', reason: 'unreadable', at } };
    job.given(started).when({ type: 'FailJob', reason: 'unreadable', at }).then(failed);
    job.given(started, failed).when({ type: 'FailJob', reason: 'unreadable', at }).thenNothing();
    job.given().when({ type: 'CompleteJob', at }).thenThrows(NotFoundError);
  });
});
