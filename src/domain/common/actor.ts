export const ROLES = ['customer', 'merchant', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who did something: recorded in event metadata as the operation log. */
export interface Actor {
  id: string;
  role: Role | 'system';
}

export const systemActor: Actor = { id: 'system', role: 'system' };
