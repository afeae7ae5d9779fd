import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Clock } from './kernel/clock.js';
import type { ProjectionRunner } from './kernel/projection-runner.js';
import type { EventStore } from './ports/event-store.js';
import type { KeyValue } from './ports/key-value.js';
import type { Outbox, ReadableOutbox } from './ports/outbox.js';
import type { ViewStore } from './ports/view-store.js';
import type { SearchIndex } from './ports/search-index.js';
import type { TokenService } from './commands/users/tokens.js';
import type { Handlers } from './commands/handlers.js';
import type { PaymentProvider } from './ports/payment-provider.js';
import type { FulfillmentProvider } from './ports/fulfillment-provider.js';

/** Everything the commands, queries and routes need; built once by the composition root (src/main.ts). */
export interface Deps {
  config: Config;
  store: EventStore;
  views: ViewStore;
  kv: KeyValue;
  /** The product search index, written only by the `search` projection. */
  searchIndex: SearchIndex;
  outbox: Outbox;
  /** Present while the dev outbox is enabled (not in production). */
  devOutbox: ReadableOutbox | null;
  clock: Clock;
  projections: ProjectionRunner;
  tokens: TokenService;
  handlers: Handlers;
  /** The card acquirer (embedded default: the sandbox, src/adapters/payments/sandbox.ts). */
  paymentProvider: PaymentProvider;
  /** The carriers' gateway (embedded default: the sandbox, src/adapters/fulfillment/sandbox.ts). */
  fulfillmentProvider: FulfillmentProvider;
  logger: Logger;
}
