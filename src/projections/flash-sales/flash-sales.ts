import type { DocumentKey, ViewProjection } from '../../kernel/view-projection.js';
import type { FlashSaleEvent } from '../../domain/flash-sales/flash-sale.js';
import type { PromotionEvent, PromotionKind } from '../../domain/promotions/promotion.js';
import type { VoucherEvent } from '../../domain/vouchers/voucher.js';
import type { Money } from '../../domain/common/money.js';
import type { RecordedEvent } from '../../ports/event-store.js';

export const FLASH_SALES = 'flash_sales';
/** Promotion codes as a list (GET /admin/promotions); a promotion's own route reads its stream. */
export const PROMOTIONS = 'promotions';
/** E-vouchers as a list (GET /admin/vouchers); a voucher's own route reads its stream. */
export const VOUCHERS = 'vouchers';

/** A flash sale as a lookup: which sales may still run (start-up rebuilds their gates from it). */
export interface FlashSaleDoc {
  [field: string]: unknown;
  id: string;
  skuId: string;
  quantity: number;
  price: Money | null;
  startsAt: string;
  endsAt: string | null;
  endedAt: string | null;
  /** Not ended by an admin (a sale past its `endsAt` stays open here: time is not an event). */
  open: boolean;
  createdAt: string;
}

/** A promotion code with its usage as the events left it (eventually consistent; the stream is the truth). */
export interface PromotionDoc {
  [field: string]: unknown;
  id: string;
  code: string;
  kind: PromotionKind;
  value: number;
  minSpend: Money | null;
  startsAt: string | null;
  endsAt: string | null;
  budget: Money | null;
  usageLimit: number | null;
  perUserLimit: number | null;
  createdAt: string;
  endedAt: string | null;
  /** Redemptions holding a usage slot. */
  used: number;
  redeemedTotal: number;
  /** Minor units of discount given and not returned. */
  spent: number;
}

export interface VoucherDoc {
  [field: string]: unknown;
  id: string;
  code: string;
  amount: Money;
  maxUses: number;
  perUserLimit: number;
  startsAt: string | null;
  endsAt: string | null;
  issuedAt: string;
  endedAt: string | null;
  /** Open redemptions (released ones give their use back). */
  used: number;
}

const PROMOTION_EVENTS = new Set(['PromotionCreated', 'PromotionRedeemed', 'PromotionReturned', 'PromotionEnded']);
const VOUCHER_EVENTS = new Set(['VoucherIssued', 'VoucherRedeemed', 'VoucherReleased', 'VoucherEnded']);

/**
 * Flash sales, promotion codes and e-vouchers as lists (projection `flash_sales`: the marketing read
 * models). The promotions and vouchers collections came after the flash sales: a store whose `flash_sales`
 * checkpoint was already past promotion or voucher events fills them with one rebuild
 * (`POST /api/v1/admin/projections/flash_sales/rebuild`, or `bazaar projections rebuild flash_sales`).
 */
export const flashSalesProjection: ViewProjection = {
  name: 'flash_sales',
  collections: [FLASH_SALES, PROMOTIONS, VOUCHERS],
  indexes: { [FLASH_SALES]: [['open'], ['skuId'], ['createdAt'], ['open', 'createdAt']], [PROMOTIONS]: [['createdAt']], [VOUCHERS]: [['issuedAt']] },
  route(event): DocumentKey[] {
    if (event.type === 'FlashSaleCreated' || event.type === 'FlashSaleEnded') return [{ collection: FLASH_SALES, id: (event.data as { flashSaleId: string }).flashSaleId }];
    if (PROMOTION_EVENTS.has(event.type) && event.streamId.startsWith('promotion-')) return [{ collection: PROMOTIONS, id: (event.data as { code: string }).code }];
    if (VOUCHER_EVENTS.has(event.type) && event.streamId.startsWith('voucher-')) return [{ collection: VOUCHERS, id: (event.data as { code: string }).code }];
    return [];
  },
  evolve(doc, recorded, key) {
    if (key.collection === PROMOTIONS) return evolvePromotion(doc as PromotionDoc | null, recorded);
    if (key.collection === VOUCHERS) return evolveVoucher(doc as VoucherDoc | null, recorded);
    const sale = doc as FlashSaleDoc | null;
    const event = recorded as unknown as FlashSaleEvent;
    switch (event.type) {
      case 'FlashSaleCreated': {
        const { flashSaleId, skuId, quantity, price, startsAt, endsAt, at } = event.data;
        const view: FlashSaleDoc = { id: flashSaleId, skuId, quantity, price, startsAt, endsAt, endedAt: null, open: true, createdAt: at };
        return view;
      }
      case 'FlashSaleEnded':
        return sale ? { ...sale, endedAt: event.data.at, open: false } : sale;
      default:
        return sale;
    }
  },
};

function evolvePromotion(doc: PromotionDoc | null, recorded: RecordedEvent): PromotionDoc | null {
  const event = recorded as unknown as PromotionEvent;
  switch (event.type) {
    case 'PromotionCreated': {
      const { at, ...terms } = event.data;
      return { id: terms.code, ...terms, createdAt: at, endedAt: null, used: 0, redeemedTotal: 0, spent: 0 };
    }
    case 'PromotionRedeemed':
      return doc ? { ...doc, used: doc.used + 1, redeemedTotal: doc.redeemedTotal + 1, spent: doc.spent + event.data.discount.amount } : doc;
    case 'PromotionReturned':
      return doc ? { ...doc, used: event.data.complete ? Math.max(0, doc.used - 1) : doc.used, spent: doc.spent - event.data.amount.amount } : doc;
    case 'PromotionEnded':
      return doc ? { ...doc, endedAt: event.data.at } : doc;
    default:
      return doc;
  }
}

function evolveVoucher(doc: VoucherDoc | null, recorded: RecordedEvent): VoucherDoc | null {
  const event = recorded as unknown as VoucherEvent;
  switch (event.type) {
    case 'VoucherIssued': {
      const { at, ...terms } = event.data;
      return { id: terms.code, ...terms, issuedAt: at, endedAt: null, used: 0 };
    }
    case 'VoucherRedeemed':
      return doc ? { ...doc, used: doc.used + 1 } : doc;
    case 'VoucherReleased':
      return doc ? { ...doc, used: Math.max(0, doc.used - 1) } : doc;
    case 'VoucherEnded':
      return doc ? { ...doc, endedAt: event.data.at } : doc;
    default:
      return doc;
  }
}
