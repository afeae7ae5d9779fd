// The projector thread's entry: TypeScript through tsx (as bin/bazaar.js), then the thread's body.
import { register } from 'tsx/esm/api';

register();
await import('./projector-worker.ts');
