/**
 * The demo store of `bazaar seed`: a backend category tree (10 roots, 51 leaves), attribute templates
 * per kind of goods, the brands each leaf sells, a storefront tree mapped onto it, a home page, and
 * title material in Chinese and English. Only data: src/commands/catalog/demo-seed.ts turns it into
 * commands.
 */

export interface AttributeSpec {
  name: string;
  kind: 'sales' | 'general';
  values: string[];
}

export interface Family {
  /** Attribute templates defined on each leaf of the family. */
  attributes: AttributeSpec[];
  /** Lowest and highest base price, fen. */
  price: [number, number];
  /** Words that vary titles (a leaf may bring its own). */
  editions: string[];
  /** Books: the brand is the publisher and stays out of the title. */
  publisher?: boolean;
}

const COLOURS = ['黑色', '白色', '蓝色', '红色', '灰色', '银色'];

export const FAMILIES = {
  book: {
    attributes: [
      { name: '装帧', kind: 'general', values: ['平装', '精装'] },
      { name: '语言', kind: 'general', values: ['中文', 'English'] },
    ],
    price: [1500, 30000],
    editions: ['典藏版', '修订版', '精装版', '插图本', '新版'],
    publisher: true,
  },
  phone: {
    attributes: [
      { name: '颜色', kind: 'sales', values: ['黑色', '白色', '蓝色', '紫色'] },
      { name: '存储', kind: 'sales', values: ['128GB', '256GB', '512GB'] },
    ],
    price: [99900, 1299900],
    editions: ['5G', '全网通', '标准版', '旗舰版'],
  },
  device: {
    attributes: [{ name: '颜色', kind: 'sales', values: ['黑色', '白色', '银色'] }],
    price: [149900, 1599900],
    editions: ['2024款', '标准版', '无线版'],
  },
  appliance: {
    attributes: [{ name: '颜色', kind: 'sales', values: ['白色', '银色', '灰色'] }],
    price: [19900, 899900],
    editions: ['变频', '智能款', '大容量', '静音版', '一级能效'],
  },
  apparel: {
    attributes: [
      { name: '颜色', kind: 'sales', values: COLOURS.slice(0, 5) },
      { name: '尺码', kind: 'sales', values: ['S', 'M', 'L', 'XL'] },
      { name: '材质', kind: 'general', values: ['棉', '麻', '涤纶', '羊毛'] },
    ],
    price: [3900, 59900],
    editions: ['纯棉', '宽松', '修身', '春季新款', '基础款'],
  },
  shoes: {
    attributes: [
      { name: '颜色', kind: 'sales', values: ['黑色', '白色', '灰色'] },
      { name: '鞋码', kind: 'sales', values: ['38', '39', '40', '41', '42', '43'] },
    ],
    price: [19900, 129900],
    editions: ['透气', '轻便', '经典款', '2024新款', '防滑'],
  },
  beauty: {
    attributes: [{ name: '规格', kind: 'sales', values: ['30ml', '50ml', '100ml'] }],
    price: [4900, 159900],
    editions: ['保湿', '修护', '清爽型', '滋润型', '套装', '旅行装'],
  },
  food: {
    attributes: [
      { name: '规格', kind: 'sales', values: ['500g', '1kg', '2kg'] },
      { name: '产地', kind: 'general', values: ['云南', '新疆', '福建', '浙江', '进口'] },
    ],
    price: [990, 19900],
    editions: ['原味', '礼盒装', '家庭装', '有机', '低糖'],
  },
  home: {
    attributes: [{ name: '颜色', kind: 'sales', values: ['白色', '灰色', '原木色'] }],
    price: [2900, 499900],
    editions: ['北欧风', '简约', '加厚', '可折叠'],
  },
  sports: {
    attributes: [{ name: '颜色', kind: 'sales', values: ['黑色', '蓝色', '红色'] }],
    price: [4900, 299900],
    editions: ['专业级', '入门款', '便携', '加厚', '家用'],
  },
} satisfies Record<string, Family>;

export type FamilyName = keyof typeof FAMILIES;

export interface LeafSpec {
  name: string;
  /** The brands (books: publishers) that sell in this category; every product of the leaf has one of them. */
  brands: string[];
  /**
   * Things sold here; a title is brand + item + edition (books: item + edition). `Brand:item` ties an
   * item to one of the leaf's brands; a plain item is generic and goes with any of them.
   */
  items: string[];
  /** What the goods are called in English; it goes into every description (English search). */
  en: string;
  /** Overrides the root's family (attributes, price, editions). */
  family?: FamilyName;
  /** Overrides the family's editions. */
  editions?: string[];
  /** Overrides the family's price range, fen. */
  price?: [number, number];
}

export interface RootSpec {
  name: string;
  family: FamilyName;
  leaves: LeafSpec[];
}

export const CATEGORY_TREE: RootSpec[] = [
  {
    name: '图书',
    family: 'book',
    leaves: [
      { name: '武侠', brands: ['三联书店', '广州出版社'], en: 'wuxia novel', items: ['金庸武侠小说全集', '古龙武侠小说精选', '射雕英雄传', '天龙八部', '笑傲江湖', '鹿鼎记', '倚天屠龙记', '神雕侠侣'] },
      { name: '小说', brands: ['人民文学出版社', '南海出版公司', '作家出版社'], en: 'novel', items: ['三体', '活着', '平凡的世界', '围城', '红楼梦', '百年孤独', '白夜行', 'The Great Gatsby'] },
      { name: '历史', brands: ['中华书局', '中信出版社'], en: 'history book', items: ['万历十五年', '明朝那些事儿', '人类简史', '史记', '全球通史', '中国通史'] },
      { name: '少儿', brands: ['人民文学出版社', '二十一世纪出版社'], en: "children's book", items: ['小王子', '窗边的小豆豆', '哈利·波特与魔法石', '米小圈上学记', '十万个为什么'] },
      { name: '计算机', brands: ['机械工业出版社', '人民邮电出版社', "O'Reilly"], en: 'programming book', items: ['深入理解计算机系统', '算法导论', 'JavaScript 高级程序设计', 'Designing Data-Intensive Applications', 'TypeScript 编程', 'Clean Code'] },
    ],
  },
  {
    name: '手机通讯',
    family: 'phone',
    leaves: [
      { name: '手机', brands: ['Apple', '华为', '小米', 'OPPO', 'vivo', 'Samsung'], en: '5G mobile phone', items: ['Apple:iPhone 15', 'Apple:iPhone 15 Pro', '华为:Mate 60', '华为:Pura 70', '小米:14', 'OPPO:Find X7', 'vivo:X100', 'Samsung:Galaxy S24'] },
      { name: '折叠屏手机', brands: ['华为', 'Samsung', '小米', 'OPPO', 'vivo'], en: 'foldable phone', items: ['华为:Mate X5', 'Samsung:Galaxy Z Fold5', '小米:MIX Fold 3', 'OPPO:Find N3', 'vivo:X Fold3'] },
      { name: '游戏手机', brands: ['小米', 'vivo', '一加', '红魔'], en: 'gaming phone', items: ['小米:Redmi K70 至尊版', 'vivo:iQOO 12', '一加:Ace 3', '红魔:9 Pro'] },
      { name: '老人机', brands: ['飞利浦', '诺基亚', '中兴'], en: 'phone for seniors', family: 'device', editions: ['4G', '全网通', '双卡双待'], items: ['大字大声老人手机', '4G 长待机老人机'], price: [9900, 59900] },
      { name: '对讲机', brands: ['摩托罗拉', '海能达'], en: 'two-way radio', family: 'device', editions: ['标准版', '长续航', '防水款'], items: ['商用对讲机', '户外对讲机'], price: [9900, 99900] },
    ],
  },
  {
    name: '数码',
    family: 'device',
    leaves: [
      { name: '耳机', brands: ['Apple', '华为', 'Sony', 'Bose', '漫步者'], en: 'wireless headphones', editions: ['降噪版', '标准版', '2024款'], items: ['Apple:AirPods Pro 2', '华为:FreeBuds Pro 3', 'Sony:WH-1000XM5 头戴式降噪耳机', 'Bose:QuietComfort Ultra 耳机', '真无线蓝牙耳机', '头戴式耳机'], price: [19900, 299900] },
      { name: '平板电脑', brands: ['Apple', '华为', '小米', '联想'], en: 'tablet', editions: ['WLAN 版', '5G 版', '2024款'], items: ['Apple:iPad Air', '华为:MatePad Pro', '小米:平板 6', '联想:小新 Pad Pro'] },
      { name: '智能手表', brands: ['Apple', '华为', '小米', '佳明'], en: 'smartwatch', editions: ['GPS 版', '蜂窝版', '运动款'], items: ['Apple:Watch Series 9', '华为:Watch GT 4', '小米:手环 8', '佳明:Forerunner 265'], price: [19900, 399900] },
      { name: '充电配件', brands: ['Anker', '绿联', '倍思'], en: 'charger', editions: ['快充版', '标准版', '2024款'], items: ['65W 氮化镓充电器', '20000mAh 移动电源', 'USB-C 数据线', '无线充电板'], price: [2900, 29900] },
      { name: '相机', brands: ['Sony', '佳能', '尼康', '富士', '大疆'], en: 'camera', editions: ['单机身', '套机', '标准套装'], items: ['Sony:Alpha 7 IV 全画幅微单相机', '佳能:EOS R6 Mark II 微单相机', '尼康:Z6 III 微单相机', '富士:X-T5 微单相机', '大疆:Osmo Action 4 运动相机', '富士:instax mini 12 拍立得'], price: [49900, 1299900] },
    ],
  },
  {
    name: '电脑办公',
    family: 'device',
    leaves: [
      { name: '笔记本', brands: ['Apple', '华为', '联想', 'Dell', '华硕'], en: 'laptop', editions: ['2024款', '16GB+512GB', '32GB+1TB'], items: ['Apple:MacBook Air 13', '华为:MateBook X Pro', '联想:ThinkPad X1 Carbon', 'Dell:XPS 13', '华硕:灵耀 14'] },
      { name: '显示器', brands: ['Dell', 'LG', 'AOC'], en: 'monitor', editions: ['IPS', 'Type-C 版', '高刷版'], items: ['27 英寸 4K 显示器', '34 英寸带鱼屏显示器', '便携显示器'], price: [99900, 599900] },
      { name: '键盘', brands: ['罗技', 'Cherry', '雷蛇'], en: 'keyboard', items: ['机械键盘', '静音键盘', '罗技:MX Keys 无线键盘', 'Cherry:MX 3.0S 机械键盘'], price: [9900, 99900] },
      { name: '鼠标', brands: ['罗技', '雷蛇'], en: 'mouse', items: ['罗技:MX Master 3S 鼠标', '雷蛇:毒蝰 V3 电竞鼠标', '无线鼠标'], price: [4900, 89900] },
      { name: '打印机', brands: ['惠普 HP', '佳能', '兄弟'], en: 'printer', items: ['激光打印机', '喷墨打印机', '标签打印机'], price: [49900, 299900] },
    ],
  },
  {
    name: '家用电器',
    family: 'appliance',
    leaves: [
      { name: '冰箱', brands: ['海尔', '美的', '西门子'], en: 'refrigerator', items: ['十字对开门冰箱', '双门冰箱', '法式多门冰箱'] },
      { name: '洗衣机', brands: ['海尔', '小天鹅', '西门子'], en: 'washing machine', items: ['滚筒洗衣机', '洗烘一体机', '波轮洗衣机'] },
      { name: '空调', brands: ['格力', '美的', '海尔'], en: 'air conditioner', items: ['挂式空调', '立式空调', '中央空调'] },
      { name: '吸尘器', brands: ['戴森 Dyson', '科沃斯', '追觅'], en: 'vacuum cleaner', editions: ['2024款', '旗舰款', '标准版'], items: ['戴森 Dyson:V15 Detect 无线吸尘器', '科沃斯:扫地机器人', '追觅:无线吸尘器', '手持除螨仪'], price: [49900, 599900] },
      { name: '厨房小电', brands: ['九阳', '美的', '苏泊尔', '飞利浦'], en: 'kitchen appliance', editions: ['家用', '智能款', '大容量', '迷你款'], items: ['电饭煲', '豆浆机', '空气炸锅', '破壁机'], price: [9900, 99900] },
    ],
  },
  {
    name: '服装',
    family: 'apparel',
    leaves: [
      { name: 'T恤', brands: ['优衣库', '李宁', 'Nike', 'Adidas', '无印良品 MUJI'], en: 'T-shirt', items: ['圆领T恤', 'Polo衫', '印花T恤'] },
      { name: '衬衫', brands: ['优衣库', '无印良品 MUJI', '海澜之家'], en: 'shirt', items: ['牛津纺衬衫', '法兰绒衬衫', '亚麻衬衫'] },
      { name: '卫衣', brands: ['优衣库', '李宁', 'Nike', 'Adidas'], en: 'hoodie', items: ['连帽卫衣', '圆领卫衣', '拉链卫衣'] },
      { name: '外套', brands: ['波司登', '优衣库', '北面 The North Face'], en: 'jacket', items: ['波司登:羽绒服', '风衣', '夹克', '北面 The North Face:冲锋衣'] },
      { name: '裤装', brands: ['优衣库', "Levi's", '李宁'], en: 'trousers', items: ['牛仔裤', '休闲裤', '运动裤', '短裤'] },
    ],
  },
  {
    name: '鞋靴',
    family: 'shoes',
    leaves: [
      { name: '跑步鞋', brands: ['Nike', 'Adidas', '李宁', '安踏', '亚瑟士 ASICS'], en: 'running shoes', items: ['Nike:Air Zoom 跑步鞋', 'Adidas:Ultraboost 跑步鞋', '亚瑟士 ASICS:GEL-KAYANO 跑步鞋', '超轻跑鞋'] },
      { name: '篮球鞋', brands: ['Nike', '李宁', '安踏'], en: 'basketball shoes', items: ['实战篮球鞋', '高帮篮球鞋'] },
      { name: '板鞋', brands: ['Vans', '匡威 Converse', '回力'], en: 'skate shoes', items: ['经典板鞋', '小白鞋'] },
      { name: '靴子', brands: ['Dr. Martens', 'UGG', '骆驼'], en: 'boots', items: ['Dr. Martens:1460 马丁靴', 'UGG:经典雪地靴', '切尔西靴'] },
      { name: '拖鞋', brands: ['Crocs', '无印良品 MUJI', '回力'], en: 'slippers', editions: ['经典款', '防滑', '轻便'], items: ['Crocs:经典洞洞鞋', '家居拖鞋'] },
    ],
  },
  {
    name: '美妆个护',
    family: 'beauty',
    leaves: [
      { name: '面霜', brands: ['雅诗兰黛', '兰蔻', '百雀羚', '欧莱雅'], en: 'face cream', items: ['雅诗兰黛:多效智妍面霜', '兰蔻:菁纯面霜', '保湿面霜'] },
      { name: '精华', brands: ['SK-II', '兰蔻', '雅诗兰黛', '欧莱雅'], en: 'serum', items: ['SK-II:神仙水', '兰蔻:小黑瓶精华', '雅诗兰黛:小棕瓶精华', '玻尿酸精华'] },
      { name: '洗面奶', brands: ['芙丽芳丝', '欧莱雅', '百雀羚'], en: 'facial cleanser', items: ['氨基酸洗面奶', '控油洁面乳'] },
      { name: '防晒', brands: ['安热沙', '欧莱雅', '百雀羚'], en: 'sunscreen', items: ['防晒霜 SPF50', '防晒喷雾'] },
      { name: '洗发护发', brands: ['海飞丝', '潘婷', '施华蔻'], en: 'shampoo', items: ['去屑洗发水', '护发素', '发膜'] },
    ],
  },
  {
    name: '食品饮料',
    family: 'food',
    leaves: [
      { name: '坚果', brands: ['三只松鼠', '良品铺子', '百草味'], en: 'nuts', items: ['每日坚果', '夏威夷果', '碧根果', '开心果'] },
      { name: '茶叶', brands: ['狮峰', '大益', '八马', '中茶'], en: 'tea', editions: ['特级', '一级', '礼盒装'], items: ['狮峰:西湖龙井', '大益:普洱茶', '八马:铁观音', '中茶:大红袍'] },
      { name: '咖啡', brands: ['雀巢', '星巴克', '三顿半', '瑞幸'], en: 'coffee', editions: ['中度烘焙', '深度烘焙', '礼盒装'], items: ['雀巢:速溶咖啡', '星巴克:咖啡豆', '三顿半:精品速溶咖啡', '瑞幸:挂耳咖啡'] },
      { name: '牛奶', brands: ['蒙牛', '伊利', '光明'], en: 'milk', editions: ['整箱装', '家庭装', '低脂'], items: ['纯牛奶', '酸奶', '高钙奶'] },
      { name: '零食', brands: ['三只松鼠', '良品铺子', '卫龙'], en: 'snacks', items: ['牛肉干', '薯片', '蛋黄酥'] },
      { name: '水果', brands: ['百果园', '佳沛', '都乐 Dole'], en: 'fresh fruit', editions: ['5斤装', '10斤装', '礼盒装'], items: ['百果园:阿克苏苹果', '百果园:赣南脐橙', '都乐 Dole:智利车厘子', '佳沛:阳光金奇异果'] },
    ],
  },
  {
    name: '家居运动',
    family: 'home',
    leaves: [
      { name: '收纳', brands: ['宜家 IKEA', '无印良品 MUJI', '天马'], en: 'storage box', editions: ['可折叠', '加厚', '大号'], items: ['收纳箱', '衣柜收纳盒'], price: [2900, 19900] },
      { name: '床品', brands: ['罗莱', '水星家纺', '网易严选'], en: 'bedding', editions: ['纯棉', '1.8m 床', '四季款'], items: ['四件套', '乳胶枕', '蚕丝被'] },
      { name: '灯具', brands: ['欧普照明', '雷士照明', '飞利浦'], en: 'lamp', editions: ['护眼款', '智能款', '简约'], items: ['护眼台灯', '吸顶灯'], price: [4900, 69900] },
      { name: '健身', brands: ['迪卡侬', 'Keep', '李宁'], en: 'fitness gear', family: 'sports', items: ['瑜伽垫', '哑铃', '跳绳'] },
      { name: '露营', brands: ['牧高笛', '迪卡侬', '挪客 Naturehike'], en: 'camping gear', family: 'sports', items: ['帐篷', '露营椅', '睡袋'] },
    ],
  },
];

/** The storefront tree: each node maps backend categories by name (root name, or `root/leaf`). */
export interface FrontendSpec {
  name: string;
  backend: string[];
  children?: FrontendSpec[];
}

export const FRONTEND_TREE: FrontendSpec[] = [
  {
    name: '图书音像',
    backend: ['图书'],
    children: [
      { name: '文学小说', backend: ['图书/武侠', '图书/小说'] },
      { name: '童书', backend: ['图书/少儿'] },
      { name: '科技编程', backend: ['图书/计算机'] },
    ],
  },
  {
    name: '手机数码',
    backend: ['手机通讯', '数码'],
    children: [
      { name: '手机', backend: ['手机通讯/手机', '手机通讯/折叠屏手机', '手机通讯/游戏手机'] },
      { name: '影音娱乐', backend: ['数码/耳机', '数码/相机'] },
      { name: '智能穿戴', backend: ['数码/智能手表'] },
    ],
  },
  { name: '电脑办公', backend: ['电脑办公'], children: [{ name: '外设', backend: ['电脑办公/键盘', '电脑办公/鼠标', '电脑办公/显示器'] }] },
  { name: '家电', backend: ['家用电器'] },
  {
    name: '服饰鞋靴',
    backend: ['服装', '鞋靴'],
    children: [
      { name: '上装', backend: ['服装/T恤', '服装/衬衫', '服装/卫衣', '服装/外套'] },
      { name: '运动鞋', backend: ['鞋靴/跑步鞋', '鞋靴/篮球鞋'] },
    ],
  },
  { name: '美妆', backend: ['美妆个护'] },
  { name: '食品生鲜', backend: ['食品饮料'] },
  { name: '家居', backend: ['家居运动/收纳', '家居运动/床品', '家居运动/灯具'] },
  { name: '运动户外', backend: ['家居运动/健身', '家居运动/露营', '鞋靴/跑步鞋'] },
];

/**
 * The demo home page. Frontend categories are named by path (`root` or `root/child`); a collection
 * by `frontendCategory` runs as a search when the page is read, `picks` takes the first listed demo
 * products by hand.
 */
export const HOME_PAGE = {
  banners: [
    { title: '新品手机 5G 旗舰季', imageUrl: 'https://picsum.photos/seed/bazaar-banner-phones/1200/400', frontendCategory: '手机数码/手机' },
    { title: '开学季 · 笔记本电脑与外设', imageUrl: 'https://picsum.photos/seed/bazaar-banner-laptops/1200/400', frontendCategory: '电脑办公' },
    { title: '读书月 · 文学小说满减', imageUrl: 'https://picsum.photos/seed/bazaar-banner-books/1200/400', frontendCategory: '图书音像/文学小说' },
  ],
  featured: ['手机数码', '电脑办公', '家电', '服饰鞋靴', '图书音像', '美妆', '食品生鲜', '运动户外'],
  picks: { title: '编辑推荐', count: 8 },
  collections: [
    { title: '热销手机', frontendCategory: '手机数码/手机', sort: 'sales', limit: 8 },
    { title: '新品上架', sort: 'newest', limit: 12 },
    { title: '文学小说', frontendCategory: '图书音像/文学小说', sort: 'sales', limit: 8 },
  ],
} as const;
