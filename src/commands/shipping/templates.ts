import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError, ValidationError, type FieldError } from '../../kernel/errors.js';
import type { Money } from '../../domain/common/money.js';
import { canonicalProvince } from '../../domain/shipping/provinces.js';
import {
  SHIPPING_CURRENCY,
  shippingTemplateStream,
  type ActiveShippingTemplate,
  type ShippingKind,
  type ShippingRate,
  type ShippingTemplateDefinition,
} from '../../domain/shipping/template.js';
import { merchantShippingStream } from '../../domain/shipping/merchant-shipping.js';
import { canTouch, resolveMerchant, type CatalogActor } from '../catalog/lookups.js';

/** A template as a request gives it: `additional` may be left out (0), provinces by any name of theirs. */
export interface ShippingTemplateInput {
  name: string;
  kind: ShippingKind;
  rate: { first: Money; additional?: Money };
  freeOver?: Money | null;
  regions?: Array<{ provinces: string[]; rate: { first: Money; additional?: Money }; freeOver?: Money | null }>;
}

export interface ShippingTemplateAnswer {
  template: ActiveShippingTemplate;
  isDefault: boolean;
  revision: number;
  position: number;
}

const rateOf = (rate: ShippingTemplateInput['rate']): ShippingRate => ({ first: rate.first, additional: rate.additional ?? { amount: 0, currency: SHIPPING_CURRENCY } });

/** The definition a request stands for: provinces by their short names (an unknown one is a 400 on its path). */
export function toDefinition(input: ShippingTemplateInput): ShippingTemplateDefinition {
  const errors: FieldError[] = [];
  const regions = (input.regions ?? []).map((region, index) => ({
    provinces: region.provinces.map((name, p) => {
      const province = canonicalProvince(name);
      if (!province) errors.push({ path: `regions.${index}.provinces.${p}`, message: `not a province of China: ${name}` });
      return province ?? name;
    }),
    rate: rateOf(region.rate),
    ...(region.freeOver !== undefined ? { freeOver: region.freeOver } : {}),
  }));
  if (errors.length > 0) throw new ValidationError('the shipping template is not valid', errors);
  return { name: input.name.trim(), kind: input.kind, rate: rateOf(input.rate), freeOver: input.freeOver ?? null, regions };
}

async function defaultTemplateOf(deps: Pick<Deps, 'handlers'>, merchantId: string): Promise<string | null> {
  return (await deps.handlers.merchantShipping.load(merchantShippingStream(merchantId))).state.defaultTemplateId;
}

/** A template the actor may manage: its own (a merchant) or any (an admin); anything else reads as absent. */
export async function ownShippingTemplate(deps: Deps, actor: CatalogActor, templateId: string): Promise<ShippingTemplateAnswer> {
  const { state, revision, position } = await deps.handlers.shippingTemplate.load(shippingTemplateStream(templateId));
  if (state.status === 'none' || !canTouch(actor, state.merchantId)) throw new NotFoundError('shipping template');
  return { template: state, isDefault: (await defaultTemplateOf(deps, state.merchantId)) === templateId, revision, position };
}

/** With an Idempotency-Key the template id is derived from (merchant, key): a retry after a crash creates nothing new. */
export const derivedTemplateId = (merchantId: string, idempotencyKey: string): string =>
  createHash('sha256').update(`shipping-template\u0000${merchantId}\u0000${idempotencyKey}`).digest('hex').slice(0, 26);

/**
 * Creates a template for the actor's shop (an admin: for `merchantId`, default the platform's own store).
 * `makeDefault`: it becomes the merchant's default as well (a second append; if that one fails the
 * template stands and a retry, or setting the default, finishes it).
 */
export async function createShippingTemplate(
  deps: Deps,
  actor: CatalogActor,
  input: ShippingTemplateInput & { merchantId?: string; makeDefault?: boolean; idempotencyKey?: string },
  metadata: EventMetadata,
): Promise<ShippingTemplateAnswer> {
  const merchantId = await resolveMerchant(deps, actor, input.merchantId);
  const definition = toDefinition(input);
  const templateId = input.idempotencyKey ? derivedTemplateId(merchantId, input.idempotencyKey) : ulid();
  const at = deps.clock.now().toISOString();
  const created = await deps.handlers.shippingTemplate.handle(shippingTemplateStream(templateId), { type: 'CreateShippingTemplate', templateId, merchantId, definition, at }, { metadata });
  let position = created.position;
  if (input.makeDefault) {
    const set = await deps.handlers.merchantShipping.handle(
      merchantShippingStream(merchantId),
      { type: 'SetDefaultShippingTemplate', merchantId, templateId, templateMerchantId: merchantId, at },
      { metadata },
    );
    position = Math.max(position, set.position);
  }
  return { template: created.state as ActiveShippingTemplate, isDefault: input.makeDefault === true, revision: created.revision, position };
}

/** Replaces a template's definition; `expectedRevision` is the client's If-Match (stale → 412). */
export async function updateShippingTemplate(
  deps: Deps,
  actor: CatalogActor,
  templateId: string,
  input: ShippingTemplateInput,
  expectedRevision: number | undefined,
  metadata: EventMetadata,
): Promise<ShippingTemplateAnswer> {
  const own = await ownShippingTemplate(deps, actor, templateId);
  const definition = toDefinition(input);
  const result = await deps.handlers.shippingTemplate.handle(
    shippingTemplateStream(templateId),
    { type: 'UpdateShippingTemplate', definition, at: deps.clock.now().toISOString() },
    { metadata, ...(expectedRevision !== undefined ? { expectedRevision } : {}) },
  );
  return { template: result.state as ActiveShippingTemplate, isDefault: own.isDefault, revision: result.revision, position: result.position };
}

/** Makes the template its merchant's default (every product without its own template uses it). */
export async function setDefaultShippingTemplate(deps: Deps, actor: CatalogActor, templateId: string, metadata: EventMetadata): Promise<ShippingTemplateAnswer> {
  const own = await ownShippingTemplate(deps, actor, templateId);
  const merchantId = own.template.merchantId;
  const result = await deps.handlers.merchantShipping.handle(
    merchantShippingStream(merchantId),
    { type: 'SetDefaultShippingTemplate', merchantId, templateId, templateMerchantId: merchantId, at: deps.clock.now().toISOString() },
    { metadata },
  );
  return { ...own, isDefault: true, position: Math.max(own.position, result.position) };
}

/** For a product naming a template: it must be one of the merchant's (400 on `path` otherwise). */
export async function requireMerchantTemplate(deps: Pick<Deps, 'handlers'>, merchantId: string, templateId: string, path: string): Promise<void> {
  const { state } = await deps.handlers.shippingTemplate.load(shippingTemplateStream(templateId));
  if (state.status === 'none' || state.merchantId !== merchantId) {
    throw new ValidationError('unknown shipping template', [{ path, message: `the merchant has no shipping template ${templateId}` }]);
  }
}
