import type { Deps } from '../deps.js';
import { ConcurrencyError, VersionConflict } from '../kernel/errors.js';
import { createMetrics, type Metrics } from './metrics.js';
import { problem, problemResponse, toProblem } from './problem.js';
import { router } from './openapi.js';
import { requestContext } from './middleware/request-context.js';
import { authenticate } from './middleware/auth.js';
import { requestBodyLimit } from './middleware/body-limit.js';
import { minPosition } from './middleware/consistency.js';
import { corsPolicy } from './middleware/cors.js';
import { opsRoutes } from './routes/ops.js';
import { authRoutes } from './routes/auth.js';
import { meRoutes } from './routes/me.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { adminProjectionRoutes } from './routes/admin-projections.js';
import { devRoutes, devRoutesGate } from './routes/dev.js';
import { adminCatalogRoutes, BULK_UPLOAD_PATH } from './routes/admin-catalog.js';
import { productRoutes } from './routes/products.js';
import { homeRoutes } from './routes/home.js';
import { cartRoutes } from './routes/cart.js';
import { orderRoutes } from './routes/orders.js';
import { promotionRoutes } from './routes/promotions.js';
import { paymentRoutes, sandboxPaymentDevRoutes } from './routes/payments.js';
import { walletRoutes } from './routes/wallet.js';
import { shipmentRoutes } from './routes/shipments.js';
import { refundRoutes } from './routes/refunds.js';
import { fulfillmentRoutes, sandboxFulfillmentDevRoutes } from './routes/fulfillment.js';
import { voucherRoutes } from './routes/vouchers.js';
import { shippingRoutes } from './routes/shipping.js';
import { flashSaleRoutes } from './routes/flash-sales.js';
import { financeRoutes } from './routes/finance.js';
import { consoleRoutes } from './console/index.js';
import { docsPageRoutes } from './pages/docs-page.js';
import { apiKeyAuth } from '../commands/catalog/api-keys.js';

const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** The HTTP app: ops endpoints, /api/v1 resources, OpenAPI document and Swagger UI. */
export function createApp(deps: Deps, metrics: Metrics = createMetrics()) {
  const app = router();

  app.use('*', requestContext(deps.logger, metrics));
  app.use('*', corsPolicy(deps.config)); // preflights are answered here, before the body limit and authentication
  app.route('/', opsRoutes(deps, metrics));

  const jsonBodyLimit = requestBodyLimit(MAX_JSON_BODY_BYTES, () => problemResponse(problem(413, 'PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_JSON_BODY_BYTES} bytes`)));
  app.use('/api/*', (c, next) => (c.req.path === BULK_UPLOAD_PATH ? next() : jsonBodyLimit(c, next))); // bulk files are streamed to disk
  app.use('/api/*', authenticate(deps.tokens, apiKeyAuth(deps)));
  app.use('/api/*', minPosition(deps.projections, undefined, deps.kv)); // X-Min-Position, and each principal's own last write

  app.route('/api/v1/auth', authRoutes(deps));
  app.route('/api/v1/me', meRoutes(deps));
  app.route('/api/v1/admin/users', adminUserRoutes(deps));
  app.route('/api/v1/admin', adminCatalogRoutes(deps));
  app.route('/api/v1/admin', adminProjectionRoutes(deps));
  app.route('/api/v1', productRoutes(deps));
  app.route('/api/v1', homeRoutes(deps));
  app.route('/api/v1/cart', cartRoutes(deps));
  app.route('/api/v1', orderRoutes(deps));
  app.route('/api/v1', promotionRoutes(deps));
  app.route('/api/v1', flashSaleRoutes(deps));
  app.route('/api/v1/admin/finance', financeRoutes(deps));
  app.route('/api/v1', paymentRoutes(deps));
  app.route('/api/v1', walletRoutes(deps));
  app.route('/api/v1', shipmentRoutes(deps));
  app.route('/api/v1', refundRoutes(deps));
  app.route('/api/v1', fulfillmentRoutes(deps));
  app.route('/api/v1', voucherRoutes(deps));
  app.route('/api/v1', shippingRoutes(deps));
  if (deps.devOutbox) app.use('/api/v1/dev/*', devRoutesGate(deps.config.BAZAAR_DEV_ROUTES === 'on' ? 'on' : 'loopback'));
  if (deps.devOutbox) app.route('/api/v1/dev', devRoutes(deps.devOutbox));
  if (deps.devOutbox) app.route('/api/v1/dev', sandboxPaymentDevRoutes(deps));
  if (deps.devOutbox) app.route('/api/v1/dev', sandboxFulfillmentDevRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Bazaar API',
      version: '1.0.0',
      description:
        'Open commerce back end. Errors are application/problem+json with a stable `code`. Commands answer `X-Position`; send it back as `X-Min-Position` on queries to read your writes. Without it, a signed-in user\'s (or a guest cart token\'s) queries wait, bounded, for that principal\'s own last command (`X-Consistency` says whether they caught up).',
    },
  });
  app.route('/docs', docsPageRoutes());
  // The operators' console: a client of the API above, called in process with the signed-in person's token.
  app.route('/admin', consoleRoutes(deps, (request, env) => app.fetch(request, env)));

  app.notFound((c) => problemResponse(problem(404, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    const mapped = toProblem(error);
    if (error instanceof ConcurrencyError || error instanceof VersionConflict) metrics.commandConflicts.inc();
    const log = c.get('log') ?? deps.logger;
    if (mapped.unexpected) log.error({ err: error }, 'unhandled error');
    // Rare (the handler retried first): which stream keeps moving matters to whoever reads the logs.
    else if (error instanceof ConcurrencyError) log.warn({ streamId: error.streamId, expected: error.expected, actual: error.actual }, 'concurrency conflict answered 409 after retries');
    else log.debug({ code: mapped.problem.code }, 'request refused');
    return problemResponse(mapped.problem, mapped.headers);
  });

  return app;
}
