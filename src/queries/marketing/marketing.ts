import type { Deps } from '../../deps.js';
import { FLASH_SALES, PROMOTIONS, VOUCHERS, type FlashSaleDoc, type PromotionDoc, type VoucherDoc } from '../../projections/flash-sales/flash-sales.js';

type Views = Pick<Deps, 'views'>;
interface Page {
  limit: number;
  cursor?: string | null | undefined;
}

/** Promotion codes, newest first (the `flash_sales` projection's promotions collection). */
export const listPromotions = (deps: Views, page: Page) => deps.views.find<PromotionDoc>(PROMOTIONS, { orderBy: { field: 'createdAt', direction: 'desc' }, limit: page.limit, cursor: page.cursor });

/** E-vouchers, newest first. */
export const listVouchers = (deps: Views, page: Page) => deps.views.find<VoucherDoc>(VOUCHERS, { orderBy: { field: 'issuedAt', direction: 'desc' }, limit: page.limit, cursor: page.cursor });

/** Flash sales, newest first; `open: true` only those an admin has not ended. */
export const listFlashSales = (deps: Views, page: Page & { open?: boolean | undefined }) =>
  deps.views.find<FlashSaleDoc>(FLASH_SALES, { where: page.open === undefined ? {} : { open: page.open }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: page.limit, cursor: page.cursor });
