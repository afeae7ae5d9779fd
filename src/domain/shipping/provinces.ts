/**
 * China's 34 provincial-level divisions, the regions a shipping template may price differently. A
 * province is kept by its short Chinese name (`新疆`); templates and shipping addresses may name it by
 * that, its full name (`新疆维吾尔自治区`) or its English / pinyin name (`Xinjiang`).
 */
const PROVINCE_NAMES: Array<[short: string, full: string, ...english: string[]]> = [
  ['北京', '北京市', 'beijing'],
  ['天津', '天津市', 'tianjin'],
  ['河北', '河北省', 'hebei'],
  ['山西', '山西省', 'shanxi'],
  ['内蒙古', '内蒙古自治区', 'innermongolia', 'neimenggu', 'neimongol'],
  ['辽宁', '辽宁省', 'liaoning'],
  ['吉林', '吉林省', 'jilin'],
  ['黑龙江', '黑龙江省', 'heilongjiang'],
  ['上海', '上海市', 'shanghai'],
  ['江苏', '江苏省', 'jiangsu'],
  ['浙江', '浙江省', 'zhejiang'],
  ['安徽', '安徽省', 'anhui'],
  ['福建', '福建省', 'fujian'],
  ['江西', '江西省', 'jiangxi'],
  ['山东', '山东省', 'shandong'],
  ['河南', '河南省', 'henan'],
  ['湖北', '湖北省', 'hubei'],
  ['湖南', '湖南省', 'hunan'],
  ['广东', '广东省', 'guangdong'],
  ['广西', '广西壮族自治区', 'guangxi'],
  ['海南', '海南省', 'hainan'],
  ['重庆', '重庆市', 'chongqing'],
  ['四川', '四川省', 'sichuan'],
  ['贵州', '贵州省', 'guizhou'],
  ['云南', '云南省', 'yunnan'],
  ['西藏', '西藏自治区', 'tibet', 'xizang'],
  ['陕西', '陕西省', 'shaanxi'],
  ['甘肃', '甘肃省', 'gansu'],
  ['青海', '青海省', 'qinghai'],
  ['宁夏', '宁夏回族自治区', 'ningxia'],
  ['新疆', '新疆维吾尔自治区', 'xinjiang'],
  ['台湾', '台湾省', 'taiwan'],
  ['香港', '香港特别行政区', 'hongkong'],
  ['澳门', '澳门特别行政区', 'macau', 'macao'],
];

export const PROVINCES: readonly string[] = PROVINCE_NAMES.map(([short]) => short);

const ENGLISH_SUFFIXES = /(province|municipality|autonomousregion|specialadministrativeregion|sar)$/;
const key = (name: string) => name.normalize('NFKC').toLowerCase().replace(/[\s\-_'.]/g, '');

const ALIASES = new Map<string, string>();
for (const [short, full, ...english] of PROVINCE_NAMES) {
  for (const alias of [short, full, ...english]) ALIASES.set(key(alias), short);
}

/** The province a name stands for (its short Chinese name), or null for a name that is not one. */
export function canonicalProvince(name: string | null | undefined): string | null {
  if (!name) return null;
  const normalized = key(name);
  return ALIASES.get(normalized) ?? ALIASES.get(normalized.replace(ENGLISH_SUFFIXES, '')) ?? null;
}

export const isProvince = (name: string): boolean => PROVINCES.includes(name);

/**
 * The province of a shipping address: its `province` field, else its `city` (an address in 北京, 上海, 天津,
 * 重庆 or 香港 often names only the city); null when neither names one.
 */
export function addressProvince(address: { province?: string | null; city?: string | null } | null | undefined): string | null {
  if (!address) return null;
  return canonicalProvince(address.province) ?? canonicalProvince(address.city);
}
