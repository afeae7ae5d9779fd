import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import type { Money } from '../common/money.js';
import { isProvince, PROVINCES } from './provinces.js';

/**
 * A shipping template (`shipping-template-<id>`, seed: 运费模板): how one merchant charges for shipping.
 * Its kind says what the rate counts: `flat` (one fee per order), `weight` (the first kilogram, then each
 * further kilogram or part of one) or `count` (the first item, then each further item). `freeOver`: an
 * order whose goods subtotal reaches it ships free. `regions` price some provinces differently (their own
 * rate, and their own threshold when they name one). The computation is `shippingFee` (./fee.ts).
 */
export const SHIPPING_KINDS = ['flat', 'weight', 'count'] as const;
export type ShippingKind = (typeof SHIPPING_KINDS)[number];
export const SHIPPING_CURRENCY = 'CNY';
/** Bounds of the amounts a template holds (minor units): a fee up to CNY 10,000, a threshold up to CNY 1,000,000,000. */
export const SHIPPING_LIMITS = { maxFee: 1_000_000, maxFreeOver: 100_000_000_000, maxNameLength: 50, maxRegions: PROVINCES.length };

/** `first`: the flat fee, the first kilogram, or the first item; `additional`: each further kilogram or item (0 for `flat`). */
export interface ShippingRate {
  first: Money;
  additional: Money;
}

export interface ShippingRegion {
  /** Short Chinese names (src/domain/shipping/provinces.ts); a province is in at most one region. */
  provinces: string[];
  rate: ShippingRate;
  /** Absent: the template's threshold applies; null: this region never ships free. */
  freeOver?: Money | null;
}

export interface ShippingTemplateDefinition {
  name: string;
  kind: ShippingKind;
  rate: ShippingRate;
  freeOver: Money | null;
  regions: ShippingRegion[];
}

export type ShippingTemplateEvent =
  | { type: 'ShippingTemplateCreated'; data: ShippingTemplateDefinition & { templateId: string; merchantId: string; at: string } }
  /** The whole definition, as it is now. */
  | { type: 'ShippingTemplateUpdated'; data: ShippingTemplateDefinition & { templateId: string; merchantId: string; at: string } };

export type ShippingTemplateCommand =
  | { type: 'CreateShippingTemplate'; templateId: string; merchantId: string; definition: ShippingTemplateDefinition; at: string }
  | { type: 'UpdateShippingTemplate'; definition: ShippingTemplateDefinition; at: string };

export type ActiveShippingTemplate = ShippingTemplateDefinition & {
  status: 'active';
  templateId: string;
  merchantId: string;
  createdAt: string;
  updatedAt: string;
};

export type ShippingTemplate = { status: 'none' } | ActiveShippingTemplate;

const definitionOf = (data: ShippingTemplateDefinition): ShippingTemplateDefinition => ({
  name: data.name,
  kind: data.kind,
  rate: data.rate,
  freeOver: data.freeOver,
  regions: data.regions,
});

export function evolve(state: ShippingTemplate, event: ShippingTemplateEvent): ShippingTemplate {
  switch (event.type) {
    case 'ShippingTemplateCreated':
      return { status: 'active', templateId: event.data.templateId, merchantId: event.data.merchantId, ...definitionOf(event.data), createdAt: event.data.at, updatedAt: event.data.at };
    case 'ShippingTemplateUpdated':
      return state.status === 'none' ? state : { ...state, ...definitionOf(event.data), updatedAt: event.data.at };
  }
}

export function decide(command: ShippingTemplateCommand, state: ShippingTemplate): ShippingTemplateEvent[] {
  switch (command.type) {
    case 'CreateShippingTemplate': {
      requireValid(command.definition);
      if (state.status !== 'none') {
        if (state.merchantId === command.merchantId && sameDefinition(state, command.definition)) return []; // resent
        throw new ConflictError('SHIPPING_TEMPLATE_EXISTS', 'a shipping template with this id already exists');
      }
      return [{ type: 'ShippingTemplateCreated', data: { templateId: command.templateId, merchantId: command.merchantId, ...definitionOf(command.definition), at: command.at } }];
    }
    case 'UpdateShippingTemplate': {
      if (state.status === 'none') throw new NotFoundError('shipping template');
      requireValid(command.definition);
      if (sameDefinition(state, command.definition)) return [];
      return [{ type: 'ShippingTemplateUpdated', data: { templateId: state.templateId, merchantId: state.merchantId, ...definitionOf(command.definition), at: command.at } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

const sameDefinition = (a: ShippingTemplateDefinition, b: ShippingTemplateDefinition) => JSON.stringify(definitionOf(a)) === JSON.stringify(definitionOf(b));

function amountErrors(money: Money, path: string, min: number, max: number): FieldError[] {
  if (money.currency !== SHIPPING_CURRENCY) return [{ path: `${path}.currency`, message: `amounts are in ${SHIPPING_CURRENCY}` }];
  if (!Number.isSafeInteger(money.amount) || money.amount < min || money.amount > max) return [{ path: `${path}.amount`, message: `an integer number of minor units from ${min} to ${max}` }];
  return [];
}

function rateErrors(kind: ShippingKind, rate: ShippingRate, path: string): FieldError[] {
  const errors = [...amountErrors(rate.first, `${path}.first`, 0, SHIPPING_LIMITS.maxFee), ...amountErrors(rate.additional, `${path}.additional`, 0, SHIPPING_LIMITS.maxFee)];
  if (kind === 'flat' && rate.additional.amount !== 0) errors.push({ path: `${path}.additional`, message: 'a flat rate has no additional fee' });
  return errors;
}

/** What is wrong with a definition (empty: nothing). The HTTP schema checks the same at the door. */
export function definitionErrors(definition: ShippingTemplateDefinition): FieldError[] {
  const errors: FieldError[] = [];
  const name = definition.name.trim();
  if (name.length === 0 || name.length > SHIPPING_LIMITS.maxNameLength) errors.push({ path: 'name', message: `1 to ${SHIPPING_LIMITS.maxNameLength} characters` });
  if (!SHIPPING_KINDS.includes(definition.kind)) errors.push({ path: 'kind', message: `one of ${SHIPPING_KINDS.join(', ')}` });
  errors.push(...rateErrors(definition.kind, definition.rate, 'rate'));
  if (definition.freeOver) errors.push(...amountErrors(definition.freeOver, 'freeOver', 1, SHIPPING_LIMITS.maxFreeOver));
  if (definition.regions.length > SHIPPING_LIMITS.maxRegions) errors.push({ path: 'regions', message: `at most ${SHIPPING_LIMITS.maxRegions} regions` });
  const regionOf = new Map<string, number>();
  definition.regions.forEach((region, index) => {
    const path = `regions.${index}`;
    if (region.provinces.length === 0) errors.push({ path: `${path}.provinces`, message: 'at least one province' });
    region.provinces.forEach((province, p) => {
      if (!isProvince(province)) errors.push({ path: `${path}.provinces.${p}`, message: `not a province of China: ${province}` });
      const other = regionOf.get(province);
      if (other !== undefined) errors.push({ path: `${path}.provinces.${p}`, message: `${province} is already in regions.${other}` });
      else regionOf.set(province, index);
    });
    errors.push(...rateErrors(definition.kind, region.rate, `${path}.rate`));
    if (region.freeOver) errors.push(...amountErrors(region.freeOver, `${path}.freeOver`, 1, SHIPPING_LIMITS.maxFreeOver));
  });
  return errors;
}

function requireValid(definition: ShippingTemplateDefinition): void {
  const errors = definitionErrors(definition);
  if (errors.length > 0) throw new ValidationError('the shipping template is not valid', errors);
}

export const shippingTemplateDecider: Decider<ShippingTemplateCommand, ShippingTemplateEvent, ShippingTemplate> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const shippingTemplateStream = (templateId: string) => `shipping-template-${templateId}`;
