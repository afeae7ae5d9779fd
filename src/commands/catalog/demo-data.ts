/**
 * The demo store of `bazaar seed`: a backend category tree (10 roots, 50 leaves), attribute templates
 * per kind of goods, 44 brands, a storefront tree mapped onto it, and title material in Chinese and
 * English. Only data: src/commands/catalog/demo-seed.ts turns it into commands.
 */

export interface AttributeSpec {
  name: string;
  kind: 'sales' | 'general';
  values: string[];
}

export interface Family {
  /** Attribute templates defined on each leaf of the family. */
  attributes: AttributeSpec[];
  brands: string[];
  /** Lowest and highest base price, fen. */
  price: [number, number];
  /** Words that vary titles. */
  editions: string[];
}

const COLOURS = ['黑色', '白色', '蓝色', '红色', '灰色', '银色'];

export const FAMILIES: Record<string, Family> = {
  book: {
    attributes: [
      { name: '装帧', kind: 'general', values: ['平装', '精装'] },
      { name: '语言', kind: 'general', values: ['中文', 'English'] },
    ],
    brands: ['三联书店', '人民文学出版社', '中信出版社', '机械工业出版社', "O'Reilly"],
    price: [1500, 30000],
    editions: ['典藏版', '修订版', '精装版', '插图本', '新版', 'Second Edition'],
  },
  phone: {
    attributes: [
      { name: '颜色', kind: 'sales', values: ['黑色', '白色', '蓝色', '紫色'] },
      { name: '存储', kind: 'sales', values: ['128GB', '256GB', '512GB'] },
    ],
    brands: ['Apple', '华为', '小米', 'OPPO', 'vivo', 'Samsung'],
    price: [99900, 1299900],
    editions: ['Pro', 'Pro Max', 'Ultra', '青春版', '5G', '旗舰版'],
  },
  device: {
    attributes: [{ name: '颜色', kind: 'sales', values: ['黑色', '白色', '银色'] }],
    brands: ['Apple', '华为', '小米', 'Sony', '联想', 'Dell', '华硕', '罗技', 'Anker', '绿联'],
    price: [149900, 1599900],
    editions: ['2024款', 'Pro', 'Air', '标准版', '无线版', 'Max'],
  },
  appliance: {
    attributes: [{ name: '颜色', kind: 'sales', values: ['白色', '银色', '灰色'] }],
    brands: ['海尔', '美的', '格力', '戴森 Dyson', '飞利浦', '九阳'],
    price: [19900, 899900],
    editions: ['变频', '智能款', '家用', '大容量', '静音版', '一级能效'],
  },
  apparel: {
    attributes: [
      { name: '颜色', kind: 'sales', values: COLOURS.slice(0, 5) },
      { name: '尺码', kind: 'sales', values: ['S', 'M', 'L', 'XL'] },
      { name: '材质', kind: 'general', values: ['棉', '麻', '涤纶', '羊毛'] },
    ],
    brands: ['优衣库', '李宁', '安踏', 'Nike', 'Adidas', '无印良品 MUJI'],
    price: [3900, 59900],
    editions: ['纯棉', '宽松', '修身', '春季新款', '基础款', '联名款'],
  },
  shoes: {
    attributes: [
      { name: '颜色', kind: 'sales', values: ['黑色', '白色', '灰色'] },
      { name: '鞋码', kind: 'sales', values: ['38', '39', '40', '41', '42', '43'] },
    ],
    brands: ['Nike', 'Adidas', '李宁', '安踏', '迪卡侬'],
    price: [19900, 129900],
    editions: ['透气', '减震', '轻便', '经典款', '2024新款', '防滑'],
  },
  beauty: {
    attributes: [{ name: '规格', kind: 'sales', values: ['30ml', '50ml', '100ml'] }],
    brands: ['雅诗兰黛', '兰蔻', '百雀羚', '欧莱雅', 'SK-II'],
    price: [4900, 159900],
    editions: ['保湿', '修护', '清爽型', '滋润型', '套装', '旅行装'],
  },
  food: {
    attributes: [
      { name: '规格', kind: 'sales', values: ['500g', '1kg', '2kg'] },
      { name: '产地', kind: 'general', values: ['云南', '新疆', '福建', '浙江', '进口'] },
    ],
    brands: ['三只松鼠', '良品铺子', '农夫山泉', '蒙牛', '伊利'],
    price: [990, 19900],
    editions: ['原味', '礼盒装', '家庭装', '有机', '每日坚果', '低糖'],
  },
  home: {
    attributes: [{ name: '颜色', kind: 'sales', values: ['白色', '灰色', '原木色'] }],
    brands: ['宜家 IKEA', '无印良品 MUJI', '网易严选', '全友'],
    price: [2900, 499900],
    editions: ['北欧风', '实木', '简约', '加厚', '可折叠', '收纳款'],
  },
  sports: {
    attributes: [{ name: '颜色', kind: 'sales', values: ['黑色', '蓝色', '红色'] }],
    brands: ['迪卡侬', '李宁', 'Nike', '安踏'],
    price: [4900, 299900],
    editions: ['专业级', '入门款', '便携', '加厚', '竞赛款', '家用'],
  },
};

export interface LeafSpec {
  name: string;
  /**
   * Things sold here; a title is brand + item + edition (books: item + edition, the brand is the
   * publisher). `Brand:item` ties an item to its brand.
   */
  items: string[];
  /** Overrides the family's price range, fen. */
  price?: [number, number];
}

export interface RootSpec {
  name: string;
  family: keyof typeof FAMILIES;
  leaves: LeafSpec[];
}

export const CATEGORY_TREE: RootSpec[] = [
  {
    name: '图书',
    family: 'book',
    leaves: [
      { name: '武侠', items: ['金庸武侠小说全集', '古龙武侠小说精选', '射雕英雄传', '天龙八部', '笑傲江湖', '鹿鼎记', '倚天屠龙记', '神雕侠侣'] },
      { name: '小说', items: ['三体', '活着', '平凡的世界', '围城', '红楼梦', '百年孤独', '白夜行', 'The Great Gatsby'] },
      { name: '历史', items: ['万历十五年', '明朝那些事儿', '人类简史', '史记', '全球通史', '中国通史'] },
      { name: '少儿', items: ['小王子', '窗边的小豆豆', '哈利·波特与魔法石', '米小圈上学记', '十万个为什么'] },
      { name: '计算机', items: ['深入理解计算机系统', '算法导论', 'JavaScript 高级程序设计', 'Designing Data-Intensive Applications', 'TypeScript 编程', 'Clean Code'] },
    ],
  },
  {
    name: '手机通讯',
    family: 'phone',
    leaves: [
      { name: '手机', items: ['Apple:iPhone 15', '华为:Mate 60', '小米:小米 14', 'OPPO:Find X7', 'vivo:X100', 'Samsung:Galaxy S24'] },
      { name: '折叠屏手机', items: ['华为:Mate X5', 'Samsung:Galaxy Z Fold5', '小米:MIX Fold 3', 'OPPO:Find N3'] },
      { name: '游戏手机', items: ['小米:Redmi K70 电竞版', 'vivo:iQOO 12', 'OPPO:一加 Ace 3'] },
      { name: '老人机', items: ['老人手机 大字大声', '4G 长待机老人机'], price: [9900, 59900] },
      { name: '对讲机', items: ['商用对讲机', '户外对讲机'], price: [9900, 99900] },
    ],
  },
  {
    name: '数码',
    family: 'device',
    leaves: [
      { name: '耳机', items: ['Apple:AirPods Pro', '华为:FreeBuds Pro 3', 'Sony:WH-1000XM5 降噪耳机', '蓝牙耳机'], price: [19900, 299900] },
      { name: '平板电脑', items: ['Apple:iPad Air', '华为:MatePad Pro', '小米:小米平板 6', '联想:小新 Pad Pro'] },
      { name: '智能手表', items: ['Apple:Watch Series 9', '华为:Watch GT 4', '小米:小米手环 8'], price: [19900, 399900] },
      { name: '充电配件', items: ['65W 氮化镓充电器', '20000mAh 移动电源', 'USB-C 数据线', '无线充电板'], price: [2900, 29900] },
      { name: '相机', items: ['微单相机', '运动相机', '拍立得'], price: [49900, 1299900] },
    ],
  },
  {
    name: '电脑办公',
    family: 'device',
    leaves: [
      { name: '笔记本', items: ['Apple:MacBook Air 13', '华为:MateBook X Pro', '联想:ThinkPad X1 Carbon', 'Dell:XPS 13', '华硕:灵耀 14'] },
      { name: '显示器', items: ['27 英寸 4K 显示器', '34 英寸带鱼屏', '便携显示器'], price: [99900, 599900] },
      { name: '键盘', items: ['机械键盘', '罗技:MX Keys 无线键盘', '静音键盘'], price: [9900, 99900] },
      { name: '鼠标', items: ['罗技:MX Master 3S', '无线鼠标', '电竞鼠标'], price: [4900, 89900] },
      { name: '打印机', items: ['激光打印机', '喷墨打印机', '标签打印机'], price: [49900, 299900] },
    ],
  },
  {
    name: '家用电器',
    family: 'appliance',
    leaves: [
      { name: '冰箱', items: ['十字对开门冰箱', '双门冰箱', '法式多门冰箱'] },
      { name: '洗衣机', items: ['滚筒洗衣机', '洗烘一体机', '波轮洗衣机'] },
      { name: '空调', items: ['挂式空调', '立式空调', '中央空调'] },
      { name: '吸尘器', items: ['戴森 Dyson:V15 无线吸尘器', '扫地机器人', '除螨仪'], price: [49900, 599900] },
      { name: '厨房小电', items: ['电饭煲', '豆浆机', '空气炸锅', '破壁机'], price: [9900, 99900] },
    ],
  },
  {
    name: '服装',
    family: 'apparel',
    leaves: [
      { name: 'T恤', items: ['圆领T恤', 'Polo衫', '印花T恤'] },
      { name: '衬衫', items: ['牛津纺衬衫', '法兰绒衬衫', '亚麻衬衫'] },
      { name: '卫衣', items: ['连帽卫衣', '圆领卫衣', '拉链卫衣'] },
      { name: '外套', items: ['羽绒服', '风衣', '夹克', '冲锋衣'] },
      { name: '裤装', items: ['牛仔裤', '休闲裤', '运动裤', '短裤'] },
    ],
  },
  {
    name: '鞋靴',
    family: 'shoes',
    leaves: [
      { name: '跑步鞋', items: ['Nike:Air Zoom 跑步鞋', 'Adidas:Ultraboost 跑步鞋', '超轻跑鞋'] },
      { name: '篮球鞋', items: ['实战篮球鞋', '高帮篮球鞋'] },
      { name: '板鞋', items: ['经典板鞋', '小白鞋'] },
      { name: '靴子', items: ['马丁靴', '雪地靴', '切尔西靴'] },
      { name: '拖鞋', items: ['家居拖鞋', '洞洞鞋'] },
    ],
  },
  {
    name: '美妆个护',
    family: 'beauty',
    leaves: [
      { name: '面霜', items: ['雅诗兰黛:小棕瓶精华面霜', '兰蔻:菁纯面霜', '保湿面霜'] },
      { name: '精华', items: ['SK-II:神仙水', '兰蔻:小黑瓶精华', '玻尿酸精华'] },
      { name: '洗面奶', items: ['氨基酸洗面奶', '控油洁面乳'] },
      { name: '防晒', items: ['防晒霜 SPF50', '防晒喷雾'] },
      { name: '洗发护发', items: ['去屑洗发水', '护发素', '发膜'] },
    ],
  },
  {
    name: '食品饮料',
    family: 'food',
    leaves: [
      { name: '坚果', items: ['每日坚果', '夏威夷果', '碧根果', '开心果'] },
      { name: '茶叶', items: ['西湖龙井', '普洱茶', '铁观音', '大红袍'] },
      { name: '牛奶', items: ['纯牛奶', '酸奶', '高钙奶'] },
      { name: '零食', items: ['牛肉干', '薯片', '蛋黄酥'] },
      { name: '水果', items: ['阿克苏苹果', '赣南脐橙', '车厘子'] },
    ],
  },
  {
    name: '家居运动',
    family: 'home',
    leaves: [
      { name: '收纳', items: ['收纳箱', '衣柜收纳盒'], price: [2900, 19900] },
      { name: '床品', items: ['四件套', '乳胶枕', '蚕丝被'] },
      { name: '灯具', items: ['护眼台灯', '吸顶灯'], price: [4900, 69900] },
      { name: '健身', items: ['瑜伽垫', '哑铃', '跳绳'] },
      { name: '露营', items: ['帐篷', '露营椅', '睡袋'] },
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
