import { describe, expect, it } from 'vitest';
import { orderShippingFee, shippingFee } from '../../../src/domain/shipping/fee.js';
import { addressProvince, canonicalProvince } from '../../../src/domain/shipping/provinces.js';
import type { ShippingTemplateDefinition } from '../../../src/domain/shipping/template.js';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const template = (overrides: Partial<ShippingTemplateDefinition>): ShippingTemplateDefinition => ({
  name: 't',
  kind: 'flat',
  rate: { first: cny(800), additional: cny(0) },
  freeOver: null,
  regions: [],
  ...overrides,
});
const parcel = (lines: Array<{ quantity: number; weightGrams?: number }>, orderSubtotal = 5000, province: string | null = '上海') => ({ lines, orderSubtotal, province });

describe('shipping fee', () => {
  it('flat: one fee per order, whatever the items', () => {
    expect(shippingFee(template({}), parcel([{ quantity: 1 }]))).toBe(800);
    expect(shippingFee(template({}), parcel([{ quantity: 7 }, { quantity: 3 }]))).toBe(800);
  });

  it('by count: the first item, then each additional item', () => {
    const byCount = template({ kind: 'count', rate: { first: cny(1000), additional: cny(200) } });
    expect(shippingFee(byCount, parcel([{ quantity: 1 }]))).toBe(1000);
    expect(shippingFee(byCount, parcel([{ quantity: 2 }, { quantity: 3 }]))).toBe(1000 + 4 * 200);
  });

  it('by weight: the first kilogram, then each started kilogram; a parcel pays at least the first', () => {
    const byWeight = template({ kind: 'weight', rate: { first: cny(1200), additional: cny(500) } });
    expect(shippingFee(byWeight, parcel([{ quantity: 1, weightGrams: 300 }]))).toBe(1200);
    expect(shippingFee(byWeight, parcel([{ quantity: 2, weightGrams: 500 }]))).toBe(1200); // exactly 1 kg
    expect(shippingFee(byWeight, parcel([{ quantity: 3, weightGrams: 500 }, { quantity: 1, weightGrams: 1200 }]))).toBe(1200 + 2 * 500); // 2.7 kg → 3 kg
    expect(shippingFee(byWeight, parcel([{ quantity: 1 }]))).toBe(1200); // no weight given
  });

  it('free over a threshold of the merchant order subtotal (reaching it is enough)', () => {
    const freeOver = template({ kind: 'count', rate: { first: cny(1000), additional: cny(200) }, freeOver: cny(9900) });
    expect(shippingFee(freeOver, parcel([{ quantity: 2 }], 9899))).toBe(1200);
    expect(shippingFee(freeOver, parcel([{ quantity: 2 }], 9900))).toBe(0);
  });

  it('a province override prices its provinces with its own rate and threshold', () => {
    const remote = template({
      kind: 'count',
      rate: { first: cny(1000), additional: cny(200) },
      freeOver: cny(9900),
      regions: [
        { provinces: ['新疆', '西藏'], rate: { first: cny(3000), additional: cny(1000) }, freeOver: null },
        { provinces: ['广东'], rate: { first: cny(500), additional: cny(100) } },
      ],
    });
    expect(shippingFee(remote, parcel([{ quantity: 2 }], 5000, '新疆维吾尔自治区'))).toBe(4000);
    expect(shippingFee(remote, parcel([{ quantity: 2 }], 20000, 'Xinjiang'))).toBe(4000); // null threshold: never free there
    expect(shippingFee(remote, parcel([{ quantity: 2 }], 5000, '广东省'))).toBe(600);
    expect(shippingFee(remote, parcel([{ quantity: 2 }], 9900, '广东'))).toBe(0); // inherits the template's threshold
    expect(shippingFee(remote, parcel([{ quantity: 2 }], 5000, '上海'))).toBe(1200);
    expect(shippingFee(remote, parcel([{ quantity: 2 }], 5000, null))).toBe(1200);
    expect(shippingFee(remote, parcel([{ quantity: 2 }], 5000, 'Atlantis'))).toBe(1200);
  });

  it('an order adds up the parcels of its templates; lines without a template ship free', () => {
    const flat = template({});
    const byCount = template({ kind: 'count', rate: { first: cny(1000), additional: cny(200) } });
    const groups = [
      { template: flat, lines: [{ quantity: 1 }] },
      { template: byCount, lines: [{ quantity: 3 }] },
      { template: null, lines: [{ quantity: 5 }] },
    ];
    expect(orderShippingFee(groups, { orderSubtotal: 5000, province: '上海' })).toBe(800 + 1400);
  });
});

describe('provinces', () => {
  it('knows short, full, English and pinyin names, in any case and width', () => {
    expect(canonicalProvince('新疆维吾尔自治区')).toBe('新疆');
    expect(canonicalProvince(' Inner Mongolia ')).toBe('内蒙古');
    expect(canonicalProvince('GUANGDONG Province')).toBe('广东');
    expect(canonicalProvince('Hong Kong SAR')).toBe('香港');
    expect(canonicalProvince('Shaanxi')).toBe('陕西');
    expect(canonicalProvince('Shanxi')).toBe('山西');
    expect(canonicalProvince('Gotham')).toBeNull();
    expect(canonicalProvince(undefined)).toBeNull();
  });

  it("an address's province, else its city (municipalities often give only the city)", () => {
    expect(addressProvince({ province: '广东省', city: '深圳' })).toBe('广东');
    expect(addressProvince({ city: '北京市' })).toBe('北京');
    expect(addressProvince({ city: 'Shanghai' })).toBe('上海');
    expect(addressProvince({ city: '深圳' })).toBeNull();
    expect(addressProvince(null)).toBeNull();
  });
});
