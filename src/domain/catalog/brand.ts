import { ConflictError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/** A brand (`brand-<id>`). Its name is unique across brands through a reservation stream. */
export type BrandEvent = { type: 'BrandCreated'; data: { brandId: string; name: string; logoUrl: string | null; at: string } };

export type BrandCommand = { type: 'CreateBrand'; brandId: string; name: string; logoUrl: string | null; at: string };

export type Brand = { status: 'none' } | { status: 'active'; brandId: string; name: string; logoUrl: string | null; createdAt: string };

export const brandDecider: Decider<BrandCommand, BrandEvent, Brand> = {
  initialState: () => ({ status: 'none' }),
  evolve(_state, event) {
    switch (event.type) {
      case 'BrandCreated':
        return { status: 'active', brandId: event.data.brandId, name: event.data.name, logoUrl: event.data.logoUrl, createdAt: event.data.at };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'CreateBrand':
        if (state.status === 'active') {
          if (state.brandId === command.brandId && state.name === command.name) return [];
          throw new ConflictError('BRAND_EXISTS', 'this brand already exists');
        }
        return [{ type: 'BrandCreated', data: { brandId: command.brandId, name: command.name, logoUrl: command.logoUrl, at: command.at } }];
    }
  },
};

export const brandStream = (brandId: string) => `brand-${brandId}`;
