import type { ViewProjection } from '../../kernel/view-projection.js';
import type { FlashSaleEvent } from '../../domain/flash-sales/flash-sale.js';
import type { Money } from '../../domain/shared/money.js';

export const FLASH_SALES = 'flash_sales';

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

export const flashSalesProjection: ViewProjection = {
  name: 'flash_sales',
  collections: [FLASH_SALES],
  indexes: { [FLASH_SALES]: [['open'], ['skuId']] },
  route(event) {
    if (event.type !== 'FlashSaleCreated' && event.type !== 'FlashSaleEnded') return [];
    return [{ collection: FLASH_SALES, id: (event.data as { flashSaleId: string }).flashSaleId }];
  },
  evolve(doc, recorded) {
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
    }
  },
};
