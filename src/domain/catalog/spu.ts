import { ConflictError, NotFoundError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import { requireAttributes, type AttributeTemplate, type AttributeValues } from './attributes.js';

/**
 * A standard product unit (`spu-<id>`): title, category, brand and the key attributes that define the
 * product. `platform` SPUs are maintained by the platform (SPU-first mode, merchants list SKUs under
 * them); `generated` SPUs are created with a product that was entered SKU-first (its id is the
 * product's id) and belong to that product alone.
 */
export type SpuOrigin = 'platform' | 'generated';

export interface SpuDefinition {
  spuId: string;
  title: string;
  categoryId: string;
  brandId: string;
  keyAttributes: AttributeValues;
  origin: SpuOrigin;
}

export type SpuEvent =
  | { type: 'SpuCreated'; data: SpuDefinition & { at: string } }
  /** A generated SPU whose product could not be created. */
  | { type: 'SpuDiscarded'; data: { spuId: string; reason: string; at: string } };

export type SpuCommand =
  /** `templates`: the category's effective attribute templates (own and inherited). */
  | ({ type: 'CreateSpu'; templates: AttributeTemplate[]; at: string } & SpuDefinition)
  | { type: 'DiscardSpu'; reason: string; at: string };

export type Spu = { status: 'none' } | ({ status: 'active' | 'discarded'; createdAt: string } & SpuDefinition);

export const spuDecider: Decider<SpuCommand, SpuEvent, Spu> = {
  initialState: () => ({ status: 'none' }),
  evolve(state, event) {
    switch (event.type) {
      case 'SpuCreated': {
        const { at, ...definition } = event.data;
        return { status: 'active', createdAt: at, ...definition };
      }
      case 'SpuDiscarded':
        return state.status === 'none' ? state : { ...state, status: 'discarded' };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'CreateSpu': {
        const { type: _type, templates, at, ...definition } = command;
        if (state.status !== 'none') {
          if (state.spuId === command.spuId) return [];
          throw new ConflictError('SPU_EXISTS', 'this SPU already exists');
        }
        requireAttributes(templates, command.keyAttributes, 'keyAttributes', { kind: 'key', requireAll: true });
        return [{ type: 'SpuCreated', data: { ...definition, at } }];
      }
      case 'DiscardSpu':
        if (state.status === 'none') throw new NotFoundError('SPU');
        if (state.status === 'discarded') return [];
        return [{ type: 'SpuDiscarded', data: { spuId: state.spuId, reason: command.reason, at: command.at } }];
    }
  },
};

export const spuStream = (spuId: string) => `spu-${spuId}`;
