import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { shippingTemplateDecider, type ShippingTemplateDefinition, type ShippingTemplateEvent } from '../../../src/domain/shipping/template.js';
import { merchantShippingDecider, type MerchantShippingEvent } from '../../../src/domain/shipping/merchant-shipping.js';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/kernel/errors.js';

const at = '2030-01-01T10:00:00.000Z';
const later = '2030-01-02T10:00:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const definition: ShippingTemplateDefinition = {
  name: '标准快递',
  kind: 'weight',
  rate: { first: cny(1200), additional: cny(500) },
  freeOver: cny(9900),
  regions: [{ provinces: ['新疆', '西藏'], rate: { first: cny(3000), additional: cny(1500) }, freeOver: null }],
};
const created: ShippingTemplateEvent = { type: 'ShippingTemplateCreated', data: { templateId: 'T1', merchantId: 'm1', ...definition, at } };
const template = spec(shippingTemplateDecider);
const create = (def: ShippingTemplateDefinition = definition) => ({ type: 'CreateShippingTemplate' as const, templateId: 'T1', merchantId: 'm1', definition: def, at });

describe('shipping template decider', () => {
  it('creates a template', () => template.given().when(create()).then(created));

  it('a resent creation decides nothing; another definition under the same id is refused', () => {
    template.given(created).when(create()).thenNothing();
    template.given(created).when(create({ ...definition, name: 'other' })).thenThrows(ConflictError, 'SHIPPING_TEMPLATE_EXISTS');
  });

  it('updates to a new definition; the same definition again decides nothing', () => {
    const next = { ...definition, freeOver: null };
    template.given(created).when({ type: 'UpdateShippingTemplate', definition: next, at: later }).then({ type: 'ShippingTemplateUpdated', data: { templateId: 'T1', merchantId: 'm1', ...next, at: later } });
    template.given(created).when({ type: 'UpdateShippingTemplate', definition, at: later }).thenNothing();
    template.given().when({ type: 'UpdateShippingTemplate', definition, at: later }).thenThrows(NotFoundError);
  });

  it('refuses amounts out of bounds, unknown or repeated provinces, and an additional fee on a flat rate', () => {
    const invalid = (def: ShippingTemplateDefinition) => template.given().when(create(def)).thenThrows(ValidationError);
    invalid({ ...definition, rate: { first: cny(-1), additional: cny(0) } });
    invalid({ ...definition, rate: { first: cny(1_000_001), additional: cny(0) } });
    invalid({ ...definition, rate: { first: cny(1.5), additional: cny(0) } });
    invalid({ ...definition, rate: { first: { amount: 100, currency: 'USD' }, additional: cny(0) } });
    invalid({ ...definition, freeOver: cny(0) });
    invalid({ ...definition, regions: [{ provinces: ['Atlantis'], rate: definition.rate }] });
    invalid({ ...definition, regions: [{ provinces: ['新疆'], rate: definition.rate }, { provinces: ['新疆'], rate: definition.rate }] });
    invalid({ ...definition, kind: 'flat', rate: { first: cny(800), additional: cny(100) } });
    invalid({ ...definition, name: ' ' });
  });
});

describe('merchant shipping decider (the default template)', () => {
  const merchant = spec(merchantShippingDecider);
  const set = (templateId: string, templateMerchantId: string | null = 'm1') => ({ type: 'SetDefaultShippingTemplate' as const, merchantId: 'm1', templateId, templateMerchantId, at });
  const first: MerchantShippingEvent = { type: 'DefaultShippingTemplateSet', data: { merchantId: 'm1', templateId: 'T1', previousTemplateId: null, at } };

  it('sets the default, naming the one it replaces', () => {
    merchant.given().when(set('T1')).then(first);
    merchant.given(first).when(set('T2')).then({ type: 'DefaultShippingTemplateSet', data: { merchantId: 'm1', templateId: 'T2', previousTemplateId: 'T1', at } });
    merchant.given(first).when(set('T1')).thenNothing();
  });

  it("refuses another merchant's template, or one that does not exist, as not found", () => {
    merchant.given().when(set('T9', 'm2')).thenThrows(NotFoundError);
    merchant.given().when(set('T9', null)).thenThrows(NotFoundError);
  });

  it('the state knows the default', () => merchant.given().when(set('T1')).thenState((state) => expect(state.defaultTemplateId).toBe('T1')));
});
