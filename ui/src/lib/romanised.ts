// Romanised Korean and Chinese words people put in passphrases (zxcvbn ships no Korean
// or Chinese list). Common surnames, greetings and endearments, and the places Satchel's
// users live and work. Lower case; zxcvbn tries l33t and reversed forms itself.

export const ROMANISED_WORDS = [
  // Korean surnames (Revised and McCune–Reischauer spellings people use)
  'kim', 'lee', 'yi', 'park', 'pak', 'choi', 'choe', 'jung', 'jeong', 'chung', 'kang', 'cho', 'jo',
  'yoon', 'yun', 'jang', 'chang', 'lim', 'im', 'han', 'oh', 'seo', 'shin', 'kwon', 'hwang', 'ahn',
  'song', 'ryu', 'hong', 'jeon', 'ko', 'moon', 'yang', 'son', 'bae', 'baek', 'heo', 'nam',
  // Chinese surnames (pinyin)
  'wang', 'li', 'zhang', 'liu', 'chen', 'huang', 'zhao', 'wu', 'zhou', 'xu', 'sun', 'ma', 'zhu',
  'hu', 'guo', 'he', 'lin', 'luo', 'gao', 'zheng', 'liang', 'xie', 'tang', 'feng', 'deng', 'cao',
  // Korean words
  'saranghae', 'saranghaeyo', 'annyeong', 'annyeonghaseyo', 'gamsahamnida', 'kamsahamnida',
  'oppa', 'unni', 'eonni', 'noona', 'hyung', 'appa', 'eomma', 'umma', 'halmeoni', 'aigoo',
  'hanguk', 'hankuk', 'joseon', 'chosun', 'chosen', 'uri', 'urinara', 'tongil', 'minjok',
  'bimil', 'bimilbeonho', 'haengbok', 'chingu', 'gomawo', 'fighting', 'hwaiting', 'daebak',
  // Chinese words
  'nihao', 'woaini', 'aini', 'mima', 'wode', 'wodemima', 'baobei', 'laopo', 'laogong', 'mama',
  'baba', 'pengyou', 'xiexie', 'zaijian', 'zhongguo', 'zhonghua', 'xingfu', 'kuaile', 'pingan',
  'aiqing', 'tiantian', 'xiaoming', 'meimei', 'gege', 'jiejie', 'didi', 'woaiwojia', 'yongyuan',
  // Places
  'pyongyang', 'seoul', 'busan', 'incheon', 'wonsan', 'hamhung', 'hamheung', 'chongjin',
  'hyesan', 'sinuiju', 'kaesong', 'nampo', 'beijing', 'shanghai', 'yanji', 'yanbian', 'dandong',
  'shenyang', 'changchun', 'harbin', 'tumen', 'hunchun', 'qingdao', 'dalian', 'jilin', 'tianjin',
  'guangzhou', 'shenzhen', 'kunming', 'bangkok', 'vientiane', 'ulaanbaatar',
] as const;
