import type { AttributeTemplate, AttributeValues } from '../../domain/catalog/attributes.js';
import type { ActiveProduct } from '../../domain/catalog/product.js';
import type { SpuOrigin } from '../../domain/catalog/spu.js';
import type { SnapshotContent } from '../../domain/catalog/snapshot.js';
import type { JobFormat, JobMode, RowFailure } from '../../domain/catalog/bulk-job.js';

/** Collections of the catalog and jobs read models, and the shape of their documents. */
export const CATEGORIES = 'catalog_categories';
export const FRONTEND_CATEGORIES = 'catalog_frontend_categories';
export const FRONTEND_BY_BACKEND = 'catalog_frontend_by_backend';
export const BRANDS = 'catalog_brands';
export const SPUS = 'catalog_spus';
export const PRODUCTS = 'catalog_products';
export const SKUS = 'catalog_skus';
export const STOCK = 'catalog_stock';
export const SNAPSHOTS = 'snapshots';
export const API_KEYS = 'catalog_api_keys';
export const JOBS = 'jobs';

interface Versioned {
  [key: string]: unknown;
  /** Stream revision of the aggregate (its ETag). */
  version: number;
  /** Global position of the last event applied to this document. */
  position: number;
}

export interface CategoryDoc extends Versioned {
  id: string;
  name: string;
  parentId: string | null;
  /** Templates defined on this category (not the inherited ones). */
  attributes: AttributeTemplate[];
  childCount: number;
  productCount: number;
  createdAt: string;
}

export interface FrontendCategoryDoc extends Versioned {
  id: string;
  name: string;
  parentId: string | null;
  backendCategoryIds: string[];
  createdAt: string;
}

/** Backend category id → the frontend categories mapped to it directly. */
export interface FrontendByBackendDoc {
  [key: string]: unknown;
  id: string;
  frontendCategoryIds: string[];
  position: number;
}

export interface BrandDoc {
  [key: string]: unknown;
  id: string;
  name: string;
  logoUrl: string | null;
  createdAt: string;
  position: number;
}

export interface SpuDoc {
  [key: string]: unknown;
  id: string;
  title: string;
  categoryId: string;
  brandId: string;
  keyAttributes: AttributeValues;
  origin: SpuOrigin;
  status: 'active' | 'discarded';
  createdAt: string;
  position: number;
}

export type ProductDoc = ActiveProduct & Versioned & { id: string };

export interface SkuDoc {
  [key: string]: unknown;
  id: string;
  productId: string;
  merchantId: string;
  skuCode: string;
}

export interface StockDoc extends Versioned {
  id: string;
  productId: string;
  onHand: number;
  reserved: number;
}

export interface SnapshotDoc {
  [key: string]: unknown;
  id: string;
  productId: string;
  content: SnapshotContent;
  takenAt: string;
}

export interface ApiKeyDoc {
  [key: string]: unknown;
  id: string;
  merchantId: string;
  name: string;
  status: 'active' | 'revoked';
  issuedAt: string;
  revokedAt: string | null;
}

export interface JobDoc {
  [key: string]: unknown;
  id: string;
  status: 'running' | 'completed' | 'failed';
  mode: JobMode;
  format: JobFormat;
  merchantId: string;
  startedBy: { id: string; role: string };
  total: number;
  succeeded: number;
  failed: number;
  /** Failed rows, the first JOB_ROWS_CAP of them. */
  rows: Array<RowFailure & { ok: false }>;
  rowsTruncated: boolean;
  throughRow: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}
