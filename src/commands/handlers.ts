import { CommandHandler } from '../kernel/command-handler.js';
import type { EventStore } from '../ports/event-store.js';
import { userDecider } from '../domain/users/user.js';
import { sessionDecider } from '../domain/users/session.js';
import { reservationDecider } from '../domain/uniqueness/reservation.js';
import { categoryDecider } from '../domain/catalog/category.js';
import { frontendCategoryDecider } from '../domain/catalog/frontend-category.js';
import { brandDecider } from '../domain/catalog/brand.js';
import { spuDecider } from '../domain/catalog/spu.js';
import { productDecider } from '../domain/catalog/product.js';
import { apiKeyDecider } from '../domain/catalog/api-key.js';
import { jobDecider } from '../domain/catalog/bulk-job.js';
import { inventoryDecider } from '../domain/inventory/inventory.js';
import { homePageDecider } from '../domain/catalog/home-page.js';
import { orderDecider } from '../domain/orders/order.js';
import { payOrderDecider } from '../domain/orders/pay-order.js';
import { promotionDecider } from '../domain/promotions/promotion.js';
import { flashSaleDecider, skuFlashSalesDecider } from '../domain/flash-sales/flash-sale.js';
import { accountDecider } from '../domain/accounts/account.js';
import { paymentDecider } from '../domain/payments/payment.js';
import { voucherDecider } from '../domain/vouchers/voucher.js';
import { shipmentDecider } from '../domain/fulfillment/shipment.js';
import { refundDecider } from '../domain/refunds/refund.js';
import { shippingTemplateDecider } from '../domain/shipping/template.js';
import { merchantShippingDecider } from '../domain/shipping/merchant-shipping.js';

/** One command handler per aggregate type, each with its own cache of folded state. */
export function createHandlers(store: EventStore) {
  return {
    user: new CommandHandler(store, userDecider),
    session: new CommandHandler(store, sessionDecider),
    reservation: new CommandHandler(store, reservationDecider),
    category: new CommandHandler(store, categoryDecider),
    frontendCategory: new CommandHandler(store, frontendCategoryDecider),
    brand: new CommandHandler(store, brandDecider),
    spu: new CommandHandler(store, spuDecider),
    product: new CommandHandler(store, productDecider),
    inventory: new CommandHandler(store, inventoryDecider),
    apiKey: new CommandHandler(store, apiKeyDecider),
    job: new CommandHandler(store, jobDecider),
    homePage: new CommandHandler(store, homePageDecider),
    order: new CommandHandler(store, orderDecider),
    payOrder: new CommandHandler(store, payOrderDecider),
    promotion: new CommandHandler(store, promotionDecider),
    flashSale: new CommandHandler(store, flashSaleDecider),
    skuFlashSales: new CommandHandler(store, skuFlashSalesDecider),
    account: new CommandHandler(store, accountDecider),
    payment: new CommandHandler(store, paymentDecider),
    voucher: new CommandHandler(store, voucherDecider),
    shipment: new CommandHandler(store, shipmentDecider),
    refund: new CommandHandler(store, refundDecider),
    shippingTemplate: new CommandHandler(store, shippingTemplateDecider),
    merchantShipping: new CommandHandler(store, merchantShippingDecider),
  };
}

export type Handlers = ReturnType<typeof createHandlers>;
