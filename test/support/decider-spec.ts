import { expect } from 'vitest';
import type { Decider } from '../../src/kernel/decider.js';

/**
 * Given/when/then for deciders:
 *   spec(decider).given(e1, e2).when(command).then(e3)
 *   spec(decider).given(e1).when(command).thenThrows(InvalidStateTransition)
 */
export function spec<C, E, S>(decider: Decider<C, E, S>) {
  return {
    given(...history: E[]) {
      const state = history.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command: C) {
          const run = () => decider.decide(command, state);
          return {
            then(...expected: E[]) {
              expect(run()).toEqual(expected);
            },
            thenNothing() {
              expect(run()).toEqual([]);
            },
            thenThrows(error: abstract new (...args: never[]) => Error, code?: string) {
              let thrown: unknown;
              try {
                run();
              } catch (caught) {
                thrown = caught;
              }
              expect(thrown).toBeInstanceOf(error);
              if (code) expect(thrown).toMatchObject({ code });
            },
            /** The state after applying what the command decided. */
            thenState(check: (next: S) => void) {
              check(run().reduce(decider.evolve, state));
            },
          };
        },
      };
    },
  };
}
