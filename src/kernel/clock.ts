/** Time and ids enter the domain through commands; these are the sources the application uses. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
