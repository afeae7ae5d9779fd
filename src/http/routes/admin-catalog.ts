import type { Deps } from '../../deps.js';
import { router } from '../openapi.js';
import { adminCatalogTaxonomyRoutes } from './admin-catalog-taxonomy.js';
import { adminCatalogProductRoutes } from './admin-catalog-products.js';
import { adminCatalogBulkRoutes } from './admin-catalog-bulk.js';
import { adminCatalogApiKeyRoutes } from './admin-catalog-api-keys.js';
import { adminSearchRoutes } from './admin-search.js';

/** The product center's admin / merchant routes, mounted at /api/v1/admin. */
export function adminCatalogRoutes(deps: Deps) {
  const app = router();
  app.route('/', adminCatalogTaxonomyRoutes(deps));
  app.route('/', adminCatalogBulkRoutes(deps));
  app.route('/', adminCatalogProductRoutes(deps));
  app.route('/', adminCatalogApiKeyRoutes(deps));
  app.route('/', adminSearchRoutes(deps));
  return app;
}

/** The bulk upload streams its body to disk: the JSON body limit does not apply to it. */
export const BULK_UPLOAD_PATH = '/api/v1/admin/products/bulk';
