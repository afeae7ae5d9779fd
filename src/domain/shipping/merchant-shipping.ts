import { NotFoundError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/**
 * A merchant's shipping settings (`shipping-merchant-<merchantId>`): the default template, which every
 * product of the merchant uses unless it names its own. No default: the merchant's orders ship free.
 */
export type MerchantShippingEvent = { type: 'DefaultShippingTemplateSet'; data: { merchantId: string; templateId: string; previousTemplateId: string | null; at: string } };

/** `templateMerchantId`: the owner of the template, read from its stream (null: there is no such template). */
export type MerchantShippingCommand = { type: 'SetDefaultShippingTemplate'; merchantId: string; templateId: string; templateMerchantId: string | null; at: string };

export interface MerchantShipping {
  merchantId: string | null;
  defaultTemplateId: string | null;
}

export function evolve(state: MerchantShipping, event: MerchantShippingEvent): MerchantShipping {
  switch (event.type) {
    case 'DefaultShippingTemplateSet':
      return { merchantId: event.data.merchantId, defaultTemplateId: event.data.templateId };
  }
}

export function decide(command: MerchantShippingCommand, state: MerchantShipping): MerchantShippingEvent[] {
  switch (command.type) {
    case 'SetDefaultShippingTemplate':
      // another merchant's template is not revealed: the same answer as a template that does not exist
      if (command.templateMerchantId !== command.merchantId) throw new NotFoundError('shipping template');
      if (state.defaultTemplateId === command.templateId) return [];
      return [{ type: 'DefaultShippingTemplateSet', data: { merchantId: command.merchantId, templateId: command.templateId, previousTemplateId: state.defaultTemplateId, at: command.at } }];
  }
}

export const merchantShippingDecider: Decider<MerchantShippingCommand, MerchantShippingEvent, MerchantShipping> = {
  initialState: () => ({ merchantId: null, defaultTemplateId: null }),
  evolve,
  decide,
};

export const merchantShippingStream = (merchantId: string) => `shipping-merchant-${merchantId}`;
