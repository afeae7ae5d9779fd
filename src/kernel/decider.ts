/** A decider: the pure heart of an aggregate (no clock, ids or I/O; those arrive in the command). */
export interface Decider<Command, Event, State> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event[];
}

export type DomainEvent<Type extends string = string, Data = unknown> = { type: Type; data: Data };

export function fold<Event, State>(decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>, events: Event[]): State {
  return events.reduce(decider.evolve, decider.initialState());
}
