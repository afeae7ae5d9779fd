import { ConflictError, NotFoundError, ValidationError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/**
 * A frontend category (`fe-category-<id>`): the storefront's own tree, each node mapped to one or more
 * backend categories, so operations reshape the storefront without touching products (seed: why
 * fe_category and be_category). That the parent and the backend categories exist is checked by the
 * command handler against their streams; cycles are refused here from the new parent's path.
 */
export type FrontendCategoryEvent =
  | { type: 'FrontendCategoryCreated'; data: { frontendCategoryId: string; name: string; parentId: string | null; backendCategoryIds: string[]; at: string } }
  | { type: 'FrontendCategoryRenamed'; data: { frontendCategoryId: string; name: string; at: string } }
  | { type: 'FrontendCategoryMoved'; data: { frontendCategoryId: string; parentId: string | null; previousParentId: string | null; at: string } }
  | {
      type: 'FrontendCategoryMapped';
      data: { frontendCategoryId: string; backendCategoryIds: string[]; previousBackendCategoryIds: string[]; at: string };
    };

export type FrontendCategoryCommand =
  | { type: 'CreateFrontendCategory'; frontendCategoryId: string; name: string; parentId: string | null; backendCategoryIds: string[]; at: string }
  | {
      type: 'ChangeFrontendCategory';
      name?: string;
      parentId?: string | null;
      /** The new parent and its ancestors, when parentId is given. */
      parentPath?: string[];
      backendCategoryIds?: string[];
      at: string;
    };

export type FrontendCategory =
  | { status: 'none' }
  | { status: 'active'; frontendCategoryId: string; name: string; parentId: string | null; backendCategoryIds: string[]; createdAt: string };

type ActiveFrontendCategory = Extract<FrontendCategory, { status: 'active' }>;

export function evolve(state: FrontendCategory, event: FrontendCategoryEvent): FrontendCategory {
  switch (event.type) {
    case 'FrontendCategoryCreated':
      return {
        status: 'active',
        frontendCategoryId: event.data.frontendCategoryId,
        name: event.data.name,
        parentId: event.data.parentId,
        backendCategoryIds: event.data.backendCategoryIds,
        createdAt: event.data.at,
      };
    case 'FrontendCategoryRenamed':
      return state.status === 'active' ? { ...state, name: event.data.name } : state;
    case 'FrontendCategoryMoved':
      return state.status === 'active' ? { ...state, parentId: event.data.parentId } : state;
    case 'FrontendCategoryMapped':
      return state.status === 'active' ? { ...state, backendCategoryIds: event.data.backendCategoryIds } : state;
  }
}

const uniqueIds = (ids: string[]) => [...new Set(ids)];

export function decide(command: FrontendCategoryCommand, state: FrontendCategory): FrontendCategoryEvent[] {
  switch (command.type) {
    case 'CreateFrontendCategory': {
      if (state.status === 'active') {
        if (state.frontendCategoryId === command.frontendCategoryId) return [];
        throw new ConflictError('FRONTEND_CATEGORY_EXISTS', 'this frontend category already exists');
      }
      const backendCategoryIds = requireMapping(command.backendCategoryIds);
      return [
        {
          type: 'FrontendCategoryCreated',
          data: { frontendCategoryId: command.frontendCategoryId, name: command.name, parentId: command.parentId, backendCategoryIds, at: command.at },
        },
      ];
    }
    case 'ChangeFrontendCategory':
      return change(command, state);
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

function change(command: Extract<FrontendCategoryCommand, { type: 'ChangeFrontendCategory' }>, state: FrontendCategory): FrontendCategoryEvent[] {
  const category = requireActive(state);
  const id = category.frontendCategoryId;
  const events: FrontendCategoryEvent[] = [];
  if (command.name !== undefined && command.name !== category.name) {
    events.push({ type: 'FrontendCategoryRenamed', data: { frontendCategoryId: id, name: command.name, at: command.at } });
  }
  if (command.parentId !== undefined && command.parentId !== category.parentId) {
    if (command.parentId === id || (command.parentPath ?? []).includes(id)) {
      throw new ValidationError('a frontend category cannot move under itself or one of its sub-categories', [
        { path: 'parentId', message: 'would make a cycle in the frontend category tree' },
      ]);
    }
    events.push({ type: 'FrontendCategoryMoved', data: { frontendCategoryId: id, parentId: command.parentId, previousParentId: category.parentId, at: command.at } });
  }
  if (command.backendCategoryIds !== undefined) {
    const mapping = requireMapping(command.backendCategoryIds);
    if (JSON.stringify([...mapping].sort()) !== JSON.stringify([...category.backendCategoryIds].sort())) {
      events.push({
        type: 'FrontendCategoryMapped',
        data: { frontendCategoryId: id, backendCategoryIds: mapping, previousBackendCategoryIds: category.backendCategoryIds, at: command.at },
      });
    }
  }
  return events;
}

function requireMapping(ids: string[]): string[] {
  const unique = uniqueIds(ids);
  if (unique.length === 0) {
    throw new ValidationError('a frontend category maps to at least one backend category', [{ path: 'backendCategoryIds', message: 'must not be empty' }]);
  }
  return unique;
}

function requireActive(state: FrontendCategory): ActiveFrontendCategory {
  if (state.status !== 'active') throw new NotFoundError('frontend category');
  return state;
}

export const frontendCategoryDecider: Decider<FrontendCategoryCommand, FrontendCategoryEvent, FrontendCategory> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const frontendCategoryStream = (id: string) => `fe-category-${id}`;
