import type { ViewProjection } from '../../kernel/view-projection.js';
import type { ShippingTemplateDefinition, ShippingTemplateEvent } from '../../domain/shipping/template.js';
import type { MerchantShippingEvent } from '../../domain/shipping/merchant-shipping.js';

export const SHIPPING_TEMPLATES = 'shipping_templates';

/** A shipping template as the merchant's list and detail routes show it. */
export interface ShippingTemplateDoc extends ShippingTemplateDefinition {
  [field: string]: unknown;
  id: string;
  merchantId: string;
  /** The merchant's default template (every product without its own uses it). */
  isDefault: boolean;
  /** The template stream's revision: its ETag. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

type Event = ShippingTemplateEvent | MerchantShippingEvent;

/** Templates per merchant (`shipping_templates`), with which one is the default. */
export const shippingTemplatesProjection: ViewProjection = {
  name: 'shipping_templates',
  collections: [SHIPPING_TEMPLATES],
  indexes: { [SHIPPING_TEMPLATES]: [['merchantId', 'createdAt']] },
  route(recorded) {
    const event = recorded as unknown as Event;
    switch (event.type) {
      case 'ShippingTemplateCreated':
      case 'ShippingTemplateUpdated':
        return [{ collection: SHIPPING_TEMPLATES, id: event.data.templateId }];
      case 'DefaultShippingTemplateSet':
        return [event.data.templateId, ...(event.data.previousTemplateId ? [event.data.previousTemplateId] : [])].map((id) => ({ collection: SHIPPING_TEMPLATES, id }));
      default:
        return [];
    }
  },
  evolve(doc, recorded, key) {
    const template = doc as ShippingTemplateDoc | null;
    const event = recorded as unknown as Event;
    switch (event.type) {
      case 'ShippingTemplateCreated': {
        const { templateId, merchantId, name, kind, rate, freeOver, regions, at } = event.data;
        const view: ShippingTemplateDoc = { id: templateId, merchantId, name, kind, rate, freeOver, regions, isDefault: template?.isDefault ?? false, version: recorded.revision, createdAt: at, updatedAt: at };
        return view;
      }
      case 'ShippingTemplateUpdated': {
        if (!template) return template;
        const { name, kind, rate, freeOver, regions, at } = event.data;
        return { ...template, name, kind, rate, freeOver, regions, version: recorded.revision, updatedAt: at };
      }
      case 'DefaultShippingTemplateSet':
        return template ? { ...template, isDefault: key.id === event.data.templateId } : template;
      default:
        return template;
    }
  },
};
