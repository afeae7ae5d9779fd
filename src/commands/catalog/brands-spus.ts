import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { ConflictError } from '../../kernel/errors.js';
import { brandStream } from '../../domain/catalog/brand.js';
import { spuStream } from '../../domain/catalog/spu.js';
import { normalizeName, type AttributeValues } from '../../domain/catalog/attributes.js';
import { categoryChain, referencedBrand, templatesOf } from './lookups.js';
import { releaseAll, reserveUnique, type UniqueValue } from './uniqueness.js';

export async function createBrand(deps: Deps, input: { name: string; logoUrl?: string | null }, metadata: EventMetadata): Promise<{ id: string; position: number }> {
  const brandId = ulid();
  const unique: UniqueValue = { kind: 'brand-name', value: normalizeName(input.name) };
  const stillOwned = async (owner: string) => (await deps.handlers.brand.load(brandStream(owner))).state.status === 'active';
  await reserveUnique(deps, unique, brandId, new ConflictError('BRAND_NAME_TAKEN', 'a brand with this name already exists'), stillOwned, metadata);
  try {
    const result = await deps.handlers.brand.handle(
      brandStream(brandId),
      { type: 'CreateBrand', brandId, name: input.name, logoUrl: input.logoUrl ?? null, at: deps.clock.now().toISOString() },
      { metadata },
    );
    return { id: brandId, position: result.position };
  } catch (error) {
    await releaseAll(deps, [{ unique, ownerId: brandId }], metadata);
    throw error;
  }
}

/** A platform-maintained SPU (SPU-first mode): its key attributes must fit the category's key templates. */
export async function createSpu(
  deps: Deps,
  input: { title: string; categoryId: string; brandId: string; keyAttributes: AttributeValues },
  metadata: EventMetadata,
): Promise<{ id: string; position: number }> {
  const chain = await categoryChain(deps, input.categoryId);
  await referencedBrand(deps, input.brandId);
  const spuId = ulid();
  const result = await deps.handlers.spu.handle(
    spuStream(spuId),
    { type: 'CreateSpu', spuId, origin: 'platform', templates: templatesOf(chain), at: deps.clock.now().toISOString(), ...input },
    { metadata },
  );
  return { id: spuId, position: result.position };
}
