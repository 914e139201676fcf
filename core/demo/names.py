"""Word lists for the demo company: categories, product names, brands, partners and staff."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    """A kind of product: names, base unit, purchase price range in yuan, and units per box."""

    zh: str
    en: str
    unit: str
    low: int
    high: int
    box: int
    sizes: tuple[str, ...]
    kinds: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Family:
    """A second-level category with its kinds of products and what varies between them."""

    code: str
    zh: str
    en: str
    items: tuple[Item, ...]
    kinds: tuple[tuple[str, str], ...]
    colours: bool = False


@dataclass(frozen=True)
class Department:
    code: str
    zh: str
    en: str
    families: tuple[Family, ...]


DEPARTMENTS = (
    Department("HOME", "家居日用", "Home & living", (
        Family("CUP", "杯壶", "Cups & flasks", (
            Item("保温杯", "vacuum flask", "个", 18, 45, 24, ("350ml", "500ml", "750ml")),
            Item("马克杯", "mug", "个", 6, 15, 24, ("300ml", "400ml")),
            Item("随手杯", "travel tumbler", "个", 12, 30, 24, ("400ml", "600ml")),
            Item("焖烧杯", "food jar", "个", 25, 55, 12, ("500ml", "800ml", "1L")),
            Item("运动水壶", "sports bottle", "个", 10, 28, 24, ("600ml", "1L", "1.5L")),
        ), (("不锈钢", "stainless steel"), ("陶瓷内胆", "ceramic-lined"), ("双层", "double-wall"),
            ("轻量", "lightweight")), colours=True),
        Family("KIT", "厨房用品", "Kitchenware", (
            Item("不粘炒锅", "non-stick wok", "口", 60, 140, 6, ("28cm", "32cm")),
            Item("砧板", "cutting board", "块", 15, 40, 12, ("小号", "中号", "大号"),
                (("竹制", "bamboo"), ("抗菌", "antibacterial"))),
            Item("保鲜盒", "food container set", "套", 12, 35, 24, ("3件套", "5件套"),
                (("玻璃", "glass"), ("密封", "airtight"))),
            Item("刀具套装", "knife set", "套", 45, 120, 6, ("4件套", "6件套"),
                (("不锈钢", "stainless steel"), ("德式", "German-style"))),
            Item("汤锅", "stockpot", "口", 40, 95, 6, ("20cm", "24cm")),
        ), (("加厚", "heavy-duty"), ("麦饭石", "stone-coated"), ("不锈钢", "stainless steel"),
            ("家用", "household"))),
        Family("CLN", "清洁用品", "Cleaning", (
            Item("洗洁精", "dish soap", "瓶", 5, 12, 12, ("500g", "1.1kg", "1.5kg")),
            Item("洗衣液", "laundry detergent", "瓶", 15, 35, 12, ("1kg", "2kg", "3kg")),
            Item("垃圾袋", "bin bags", "卷", 3, 8, 24, ("30只", "50只"), (("加厚", "thick"), ("抽绳", "drawstring"))),
            Item("抹布", "microfibre cloth", "包", 6, 15, 24, ("5片装", "10片装"),
                (("加厚", "thick"), ("吸水", "absorbent"))),
            Item("平板拖把", "flat mop", "把", 25, 60, 12, ("标准款", "加大款"),
                (("免手洗", "hands-free"), ("家用", "household"))),
        ), (("柠檬香", "lemon"), ("无香", "unscented"), ("强效", "extra strength"), ("家庭装", "family"))),
    )),
    Department("STAT", "文具办公", "Stationery & office", (
        Family("PEN", "书写工具", "Writing", (
            Item("中性笔", "gel pen", "支", 1, 3, 144, ("0.38mm", "0.5mm")),
            Item("记号笔", "marker", "支", 2, 5, 120, ("细头", "粗头")),
            Item("荧光笔", "highlighter", "支", 1, 4, 120, ("单头", "双头")),
            Item("自动铅笔", "mechanical pencil", "支", 3, 12, 72, ("0.5mm", "0.7mm"),
                (("金属", "metal"), ("学生", "student"))),
        ), (("速干", "quick-dry"), ("按动", "retractable"), ("商务", "business"), ("学生", "student")),
            colours=True),
        Family("PAP", "纸品本册", "Paper", (
            Item("笔记本", "notebook", "本", 3, 12, 48, ("A5", "B5")),
            Item("复印纸", "copy paper", "包", 18, 30, 5, ("A4 70g", "A4 80g"),
                (("高白", "bright white"), ("环保", "recycled"))),
            Item("便利贴", "sticky notes", "本", 1, 4, 48, ("76x76mm", "76x127mm"),
                (("荧光色", "neon"), ("环保", "recycled"))),
            Item("活页本", "ring binder notebook", "本", 6, 18, 24, ("A5", "B5")),
        ), (("加厚", "thick"), ("牛皮纸", "kraft"), ("无线装订", "perfect-bound"), ("环保", "recycled"))),
        Family("OFF", "办公用品", "Office supplies", (
            Item("订书机", "stapler", "个", 8, 25, 24, ("12号", "24/6")),
            Item("文件夹", "file folder", "个", 2, 6, 48, ("A4单夹", "A4双夹"),
                (("透明", "clear"), ("商务", "business"))),
            Item("计算器", "calculator", "台", 15, 45, 24, ("12位", "语音版"),
                (("商务", "business"), ("太阳能", "solar"))),
            Item("桌面收纳盒", "desk organiser", "个", 10, 30, 12, ("三格", "五格"),
                (("透明", "clear"), ("金属网格", "metal mesh"), ("木质", "wooden"))),
        ), (("省力", "easy-press"), ("透明", "clear"), ("金属", "metal"), ("商务", "business"))),
    )),
    Department("ELEC", "数码配件", "Electronics accessories", (
        Family("CHG", "充电配件", "Charging", (
            Item("快充充电器", "fast charger", "个", 25, 70, 24, ("20W", "33W", "65W"),
                (("氮化镓", "GaN"), ("双口", "dual-port"))),
            Item("数据线", "charging cable", "根", 6, 20, 24, ("1m", "2m"), (("Type-C", "USB-C"), ("编织", "braided"))),
            Item("充电宝", "power bank", "个", 45, 120, 12, ("10000mAh", "20000mAh"),
                (("超薄", "slim"), ("双口", "dual-port"))),
            Item("无线充电板", "wireless charging pad", "个", 30, 80, 12, ("15W",),
                (("磁吸", "magnetic"), ("超薄", "slim"))),
        ), (("Type-C", "USB-C"), ("氮化镓", "GaN"), ("双口", "dual-port"), ("编织线", "braided"))),
        Family("AUD", "音频", "Audio", (
            Item("蓝牙耳机", "Bluetooth earbuds", "副", 60, 180, 12, ("标准版", "Pro")),
            Item("头戴式耳机", "over-ear headphones", "副", 90, 260, 6, ("标准版", "Pro")),
            Item("蓝牙音箱", "Bluetooth speaker", "台", 70, 220, 6, ("10W", "20W")),
        ), (("降噪", "noise-cancelling"), ("运动", "sport"), ("便携", "portable"), ("防水", "waterproof")),
            colours=True),
        Family("PER", "电脑周边", "Computer peripherals", (
            Item("无线鼠标", "wireless mouse", "个", 25, 80, 24, ("标准版", "双模")),
            Item("机械键盘", "mechanical keyboard", "把", 120, 320, 6, ("87键", "104键")),
            Item("鼠标垫", "mouse pad", "块", 5, 20, 48, ("中号", "超大号"), (("加厚", "thick"), ("防滑", "non-slip"))),
            Item("U盘", "USB flash drive", "个", 18, 60, 48, ("32GB", "64GB", "128GB"),
                (("金属", "metal"), ("高速", "high-speed"))),
        ), (("静音", "silent"), ("人体工学", "ergonomic"), ("超薄", "slim"), ("金属", "metal"))),
    )),
    Department("FOOD", "食品饮料", "Food & drink", (
        Family("TEA", "茶叶冲饮", "Tea & coffee", (
            Item("西湖龙井", "Longjing green tea", "罐", 80, 220, 12, ("100g", "250g")),
            Item("普洱茶饼", "Pu'er tea cake", "饼", 60, 180, 12, ("357g",), (("熟茶", "ripe"), ("生茶", "raw"))),
            Item("铁观音", "Tieguanyin oolong", "罐", 50, 150, 12, ("125g", "250g")),
            Item("挂耳咖啡", "drip-bag coffee", "盒", 25, 60, 24, ("10袋", "20袋"),
                (("深烘", "dark roast"), ("中烘", "medium roast"))),
        ), (("明前", "early spring"), ("特级", "premium"), ("礼盒装", "gift box"), ("经典", "classic"))),
        Family("SNK", "休闲零食", "Snacks", (
            Item("每日坚果", "daily mixed nuts", "盒", 35, 80, 12, ("525g", "750g")),
            Item("牛肉干", "beef jerky", "袋", 15, 40, 24, ("100g", "200g"),
                (("香辣", "spicy"), ("五香", "five-spice"))),
            Item("苏打饼干", "soda crackers", "袋", 4, 10, 24, ("200g", "400g")),
            Item("芒果干", "dried mango", "袋", 8, 20, 24, ("80g", "200g"),
                (("原味", "original"), ("低糖", "low-sugar"))),
        ), (("原味", "original"), ("香辣", "spicy"), ("低糖", "low-sugar"), ("海盐", "sea salt"))),
        Family("DRK", "饮料", "Drinks", (
            Item("矿泉水", "mineral water", "瓶", 1, 2, 24, ("550ml", "1.5L"),
                (("天然", "natural"), ("低钠", "low-sodium"))),
            Item("苏打气泡水", "sparkling water", "瓶", 2, 4, 24, ("330ml", "480ml")),
            Item("椰子水", "coconut water", "瓶", 4, 8, 12, ("330ml", "1L")),
            Item("无糖乌龙茶", "unsweetened oolong tea", "瓶", 2, 4, 24, ("500ml", "900ml")),
        ), (("青柠味", "lime"), ("白桃味", "white peach"), ("原味", "plain"), ("冰爽", "chilled"))),
    )),
)

BRANDS = (
    ("禾木", "Hemu", "201"), ("青岚", "Qinglan", "318"), ("拾光", "Shiguang", "427"), ("云舍", "Yunshe", "536"),
    ("北辰", "Beichen", "645"), ("知行", "Zhixing", "754"), ("栖山", "Qishan", "863"), ("南屿", "Nanyu", "972"),
)
COLOURS = (("白色", "white"), ("曜石黑", "black"), ("雾霾蓝", "misty blue"), ("樱花粉", "blossom pink"),
           ("抹茶绿", "matcha green"))

WAREHOUSES = (("SH", "上海总仓", "Shanghai main"), ("BJ", "北京仓", "Beijing"), ("GZ", "广州仓", "Guangzhou"))
# where the expiry warning's "move to quarantine" button sends a lot (core/stock/expiry_actions.QUARANTINE); no
# trade happens there
QUARANTINE = ("QUARANTINE", "隔离仓", "Quarantine")

# name, roles, warehouses, language
STAFF = (
    ("admin-zhao", ("admin",), (), "zh_CN"),
    ("manager-wang", ("manager",), (), "zh_CN"),
    ("purchaser-li", ("purchaser",), (), "zh_CN"),
    ("sales-zhang", ("sales",), (), "zh_CN"),
    ("sales-liu", ("sales",), (), "en"),
    ("warehouse-chen", ("warehouse",), ("SH", "QUARANTINE"), "zh_CN"),
    ("warehouse-yang", ("warehouse",), ("BJ", "GZ"), "zh_CN"),
    ("finance-huang", ("finance",), (), "zh_CN"),
)

# code, name, contact, phone, rating, lead time, payment terms, families supplied
SUPPLIERS = (
    ("S01", "义乌市恒丰日用品有限公司", "陈建国", "0579-85212368", "A", 5, 30, ("CUP", "CLN")),
    ("S02", "永康市厨之美炊具厂", "吕晓东", "0579-87103452", "B", 7, 30, ("KIT",)),
    ("S03", "宁波得力达文具有限公司", "周海燕", "0574-86625510", "A", 4, 45, ("PEN", "PAP")),
    ("S04", "温州瓯江办公用品有限公司", "林志强", "0577-88761203", "B", 6, 30, ("OFF",)),
    ("S05", "深圳市华强联创电子有限公司", "黄伟", "0755-83279915", "A", 3, 30, ("CHG",)),
    ("S06", "东莞市声悦电子科技有限公司", "何丽娟", "0769-22418837", "B", 10, 60, ("AUD",)),
    ("S07", "苏州捷达电脑配件有限公司", "沈建华", "0512-65583021", "C", 8, 30, ("PER",)),
    ("S08", "杭州西湖茶叶有限公司", "俞慧敏", "0571-87965410", "A", 12, 30, ("TEA",)),
    ("S09", "福建闽南食品有限公司", "郑国平", "0592-57012288", "B", 9, 45, ("SNK",)),
    ("S10", "广州珠江饮品有限公司", "梁少华", "020-84412276", "B", 5, 15, ("DRK",)),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "杰", "涛", "明", "超", "秀英", "建华", "晓红", "志刚",
         "丽华", "海波", "春梅")
CITIES = (("上海", "021"), ("北京", "010"), ("广州", "020"), ("深圳", "0755"), ("杭州", "0571"), ("南京", "025"),
          ("苏州", "0512"), ("天津", "022"), ("成都", "028"), ("武汉", "027"))
DISTRICTS = ("徐汇", "静安", "朝阳", "海淀", "天河", "越秀", "南山", "西湖", "鼓楼", "锦江")
STORES = ("惠民便利店", "邻里超市", "优选生活馆", "佳家百货", "每日鲜超市", "文华文具店", "数码港专营店")
ONLINE = ("天猫·{brand}家居旗舰店", "京东·{brand}数码专营店", "拼多多·{brand}百货店", "抖音·{brand}好物小店")
TRADERS = ("恒信", "瑞丰", "鼎盛", "华通", "汇达", "永昌", "宏远", "泰和")
SIZES_EN = {
    "小号": "small", "中号": "medium", "大号": "large", "超大号": "XL", "3件套": "3-piece", "4件套": "4-piece",
    "5件套": "5-piece", "6件套": "6-piece", "30只": "30 bags", "50只": "50 bags", "5片装": "5-pack",
    "10片装": "10-pack", "标准款": "standard", "加大款": "wide", "细头": "fine tip", "粗头": "broad tip",
    "单头": "single-ended", "双头": "twin-tip", "12号": "No. 12", "A4单夹": "A4 single clip",
    "A4双夹": "A4 double clip", "12位": "12-digit", "语音版": "talking", "三格": "3 sections", "五格": "5 sections",
    "标准版": "standard", "双模": "dual-mode", "87键": "87 keys", "104键": "104 keys", "10袋": "10 bags",
    "20袋": "20 bags",
}
