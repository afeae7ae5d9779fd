import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { ConflictError, ValidationError } from '../../../src/kernel/errors.js';
import {
  flashSaleDecider,
  inWindow,
  phaseAt,
  runningSale,
  skuFlashSalesDecider,
  tokensLeft,
  unitsHeld,
  type FlashSaleEvent,
  type FlashSaleTerms,
  type SkuFlashSalesEvent,
} from '../../../src/domain/flash-sales/flash-sale.js';

const at = '2026-01-01T10:00:00.000Z';
const terms = (overrides: Partial<FlashSaleTerms> = {}): FlashSaleTerms => ({
  flashSaleId: '01JFLASH00000000000000000A',
  skuId: 'sku-1',
  productId: 'p-1',
  quantity: 50,
  price: { amount: 990, currency: 'CNY' },
  startsAt: at,
  endsAt: '2026-01-01T11:00:00.000Z',
  inventoryRevision: 3,
  ...overrides,
});
const created = (t = terms()): FlashSaleEvent => ({ type: 'FlashSaleCreated', data: { ...t, availableAtCreation: 80, at } });
const scheduledEvent = (t = terms()): SkuFlashSalesEvent => ({ type: 'FlashSaleScheduled', data: { ...t, at } });

describe('flash sale decider', () => {
  it('creates a sale within the available stock', () => {
    spec(flashSaleDecider).given().when({ type: 'CreateFlashSale', terms: terms(), available: 80, at }).then(created());
  });

  it('refuses a quantity above the available stock, zero, or a fractional one', () => {
    spec(flashSaleDecider).given().when({ type: 'CreateFlashSale', terms: terms({ quantity: 81 }), available: 80, at }).thenThrows(ValidationError);
    spec(flashSaleDecider).given().when({ type: 'CreateFlashSale', terms: terms({ quantity: 0 }), available: 80, at }).thenThrows(ValidationError);
    spec(flashSaleDecider).given().when({ type: 'CreateFlashSale', terms: terms({ quantity: 1.5 }), available: 80, at }).thenThrows(ValidationError);
    try {
      flashSaleDecider.decide({ type: 'CreateFlashSale', terms: terms({ quantity: 81 }), available: 80, at }, { status: 'none' });
    } catch (error) {
      expect((error as ValidationError).errors).toEqual([{ path: 'quantity', message: 'only 80 units of SKU sku-1 are available' }]);
    }
  });

  it('refuses a bad price or window', () => {
    const create = (t: FlashSaleTerms) => ({ type: 'CreateFlashSale' as const, terms: t, available: 80, at });
    spec(flashSaleDecider).given().when(create(terms({ price: { amount: 0, currency: 'CNY' } }))).thenThrows(ValidationError);
    spec(flashSaleDecider).given().when(create(terms({ price: { amount: 100, currency: 'USD' } }))).thenThrows(ValidationError);
    spec(flashSaleDecider).given().when(create(terms({ endsAt: at }))).thenThrows(ValidationError);
    spec(flashSaleDecider)
      .given()
      .when({ ...create(terms({ startsAt: '2025-12-31T00:00:00.000Z', endsAt: '2025-12-31T01:00:00.000Z' })) })
      .thenThrows(ValidationError); // over before it was created
  });

  it('answers the same sale again unchanged; other terms under its id are a conflict', () => {
    spec(flashSaleDecider).given(created()).when({ type: 'CreateFlashSale', terms: terms({ inventoryRevision: 9 }), available: 10, at }).thenNothing();
    spec(flashSaleDecider).given(created()).when({ type: 'CreateFlashSale', terms: terms({ quantity: 10 }), available: 80, at }).thenThrows(ConflictError, 'FLASH_SALE_EXISTS');
  });

  it('ends a running sale once; ending one that is over decides nothing', () => {
    const end = { type: 'EndFlashSale' as const, at: '2026-01-01T10:30:00.000Z' };
    spec(flashSaleDecider).given(created()).when(end).then({ type: 'FlashSaleEnded', data: { flashSaleId: terms().flashSaleId, skuId: 'sku-1', at: end.at } });
    spec(flashSaleDecider).given(created(), { type: 'FlashSaleEnded', data: { flashSaleId: terms().flashSaleId, skuId: 'sku-1', at: end.at } }).when(end).thenNothing();
    spec(flashSaleDecider).given(created()).when({ type: 'EndFlashSale', at: '2026-01-01T12:00:00.000Z' }).thenNothing();
    spec(flashSaleDecider).given().when(end).thenNothing();
  });

  it('phases: scheduled before the window, running in it, ended after it or once ended', () => {
    const sale = { startsAt: at, endsAt: '2026-01-01T11:00:00.000Z', endedAt: null };
    expect(phaseAt(sale, '2026-01-01T09:59:59.999Z')).toBe('scheduled');
    expect(phaseAt(sale, at)).toBe('running');
    expect(phaseAt(sale, '2026-01-01T10:59:59.999Z')).toBe('running');
    expect(phaseAt(sale, '2026-01-01T11:00:00.000Z')).toBe('ended');
    expect(phaseAt({ ...sale, endsAt: null }, '2030-01-01T00:00:00.000Z')).toBe('running');
    expect(phaseAt({ ...sale, endedAt: '2026-01-01T10:10:00.000Z' }, '2026-01-01T10:10:00.000Z')).toBe('ended');
    expect(inWindow({ ...sale, endedAt: '2026-01-01T10:10:00.000Z' }, '2026-01-01T10:09:00.000Z')).toBe(true);
    expect(inWindow({ ...sale, endedAt: '2026-01-01T10:10:00.000Z' }, '2026-01-01T10:10:00.000Z')).toBe(false);
  });
});

describe('SKU flash-sale schedule decider', () => {
  it('schedules a sale and finds it running in its window', () => {
    spec(skuFlashSalesDecider).given().when({ type: 'ScheduleFlashSale', terms: terms(), at }).then(scheduledEvent());
    const state = [scheduledEvent()].reduce(skuFlashSalesDecider.evolve, skuFlashSalesDecider.initialState());
    expect(runningSale(state, '2026-01-01T10:30:00.000Z')?.flashSaleId).toBe(terms().flashSaleId);
    expect(runningSale(state, '2026-01-01T11:30:00.000Z')).toBeNull();
  });

  it('refuses a second sale whose window overlaps one not ended (one running flash sale per SKU)', () => {
    const other = (t: Partial<FlashSaleTerms>) => ({ type: 'ScheduleFlashSale' as const, terms: terms({ flashSaleId: '01JFLASH00000000000000000B', ...t }), at });
    spec(skuFlashSalesDecider).given(scheduledEvent()).when(other({})).thenThrows(ConflictError, 'FLASH_SALE_CONFLICT');
    spec(skuFlashSalesDecider).given(scheduledEvent()).when(other({ startsAt: '2026-01-01T10:59:00.000Z', endsAt: null })).thenThrows(ConflictError, 'FLASH_SALE_CONFLICT');
    spec(skuFlashSalesDecider).given(scheduledEvent(terms({ endsAt: null }))).when(other({ startsAt: '2027-01-01T00:00:00.000Z', endsAt: null })).thenThrows(ConflictError);
    // back to back, or after the first was ended: fine
    spec(skuFlashSalesDecider)
      .given(scheduledEvent())
      .when(other({ startsAt: '2026-01-01T11:00:00.000Z', endsAt: '2026-01-01T12:00:00.000Z' }))
      .thenState((state) => expect(state.sales).toHaveLength(2));
    spec(skuFlashSalesDecider)
      .given(scheduledEvent(), { type: 'ScheduledFlashSaleEnded', data: { flashSaleId: terms().flashSaleId, skuId: 'sku-1', at } })
      .when(other({}))
      .thenState((state) => expect(runningSale(state, '2026-01-01T10:30:00.000Z')?.flashSaleId).toBe('01JFLASH00000000000000000B'));
  });

  it('scheduling the same sale again decides nothing; ending is idempotent', () => {
    spec(skuFlashSalesDecider).given(scheduledEvent()).when({ type: 'ScheduleFlashSale', terms: terms(), at }).thenNothing();
    const end = { type: 'EndScheduledFlashSale' as const, flashSaleId: terms().flashSaleId, at };
    spec(skuFlashSalesDecider).given(scheduledEvent()).when(end).then({ type: 'ScheduledFlashSaleEnded', data: { flashSaleId: terms().flashSaleId, skuId: 'sku-1', at } });
    spec(skuFlashSalesDecider).given(scheduledEvent(), { type: 'ScheduledFlashSaleEnded', data: { flashSaleId: terms().flashSaleId, skuId: 'sku-1', at } }).when(end).thenNothing();
    spec(skuFlashSalesDecider).given().when(end).thenNothing();
  });
});

describe('gate rebuild from inventory events', () => {
  const sale = { ...terms(), createdAt: at, endedAt: null };
  const reserved = (orderId: string, quantity: number, when: string) => ({ type: 'StockReserved', data: { orderId, quantity, at: when } });
  const released = (orderId: string, quantity: number) => ({ type: 'ReservationReleased', data: { orderId, quantity } });

  it('counts units reserved in the window and not released; committed units stay counted', () => {
    const events = [
      reserved('before', 5, '2026-01-01T09:00:00.000Z'),
      reserved('o1', 1, '2026-01-01T10:00:01.000Z'),
      reserved('o2', 2, '2026-01-01T10:00:02.000Z'),
      reserved('o3', 1, '2026-01-01T10:00:03.000Z'),
      released('o2', 2),
      { type: 'ReservationCommitted', data: { orderId: 'o1', quantity: 1 } },
      released('before', 5),
      reserved('after', 4, '2026-01-01T11:00:00.000Z'),
    ];
    expect(unitsHeld(sale, events)).toBe(2);
    expect(tokensLeft(50, 2)).toBe(48);
    expect(tokensLeft(50, 60)).toBe(0);
  });

  it('counts from the later of startsAt and creation', () => {
    const late = { ...sale, startsAt: '2026-01-01T09:00:00.000Z', createdAt: at };
    expect(unitsHeld(late, [reserved('x', 1, '2026-01-01T09:30:00.000Z'), reserved('y', 1, '2026-01-01T10:30:00.000Z')])).toBe(1);
  });
});
