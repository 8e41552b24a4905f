//! A foreign name written in Chinese characters (docs/names-policy.md, "Chinese characters"): Xinhua's practice
//! renders each sound with a fixed character (史密斯 for SMITH, 约翰 for JOHN; full names in Western order joined
//! by `·`), so the pinyin reading of such a name has the consonants of the Latin name in order. This compares
//! those consonant skeletons, sound classes on both sides (S/SH/TH, J/Y/G, L/R, B/P, D/T...), with the vowels,
//! `h`, `w` and `y` that either writing may add or drop left optional.
//!
//! Only characters of Xinhua's transcription tables and of the most common transcribed names count as a
//! transcription: `张三` has a skeleton like many Latin names, but 张 is not a character the tables use.
//!
//! The comparison is only ever used to word a failure: a name written in Chinese characters cannot be matched to
//! a passport abroad whatever it reads, so a transcription that reads as the passport name is still a fail (add
//! the name in Latin letters), and one that does not is explained as possibly someone else's name.

use pinyin::ToPinyin;

use super::hanzi::is_interpunct;
use crate::charset::is_han;

/// One consonant sound: the classes it may stand for, and whether the other writing may lack it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sound {
    classes: u16,
    optional: bool,
}

const P: u16 = 1;
const T: u16 = 1 << 1;
const K: u16 = 1 << 2;
const F: u16 = 1 << 3;
const S: u16 = 1 << 4;
const J: u16 = 1 << 5;
const M: u16 = 1 << 6;
const N: u16 = 1 << 7;
const L: u16 = 1 << 8;
const W: u16 = 1 << 9;
const H: u16 = 1 << 10;

fn sound(classes: u16) -> Sound {
    Sound {
        classes,
        optional: false,
    }
}

fn optional(classes: u16) -> Sound {
    Sound {
        classes,
        optional: true,
    }
}

/// The characters of Xinhua's English transcription table (英汉译音表) and of the most common transcribed first
/// names and surnames (约翰, 伊丽莎白, 史密斯, 约翰逊...).
const TRANSCRIPTION_CHARACTERS: &str = "阿埃艾厄伊奥欧乌尤约亚耶因英安昂恩翁温文万旺瓦沃威韦维卫巴贝比博布拜班本宾邦\
    波鲍伯彼柏白帕佩皮普派潘彭平庞蓬珀达德迪多杜代戴丹登丁当东敦顿道得塔特蒂托图泰坦滕廷汤通陶提汀唐加格吉戈古盖甘根金\
    冈贡高卡克基科库凯坎肯康孔考柯法夫费菲福富凡芬方丰冯弗武范扎兹泽齐佐祖赞曾津藏宗萨斯塞西索苏桑森辛松孙逊赛锡思瑟\
    史施沙什谢希肖舒尚申欣雪舍莎珊茜查奇切乔丘钱琴钦杰贾朱詹琼哈赫黑霍胡汉亨杭洪豪翰海休惠华马姆梅米莫穆曼门明芒蒙茂\
    麦迈玛默密敏蜜纳内尼诺努南嫩宁农瑙娜妮奈拉尔莱利洛卢兰伦林朗隆劳勒丽莉琳露里罗鲁雷瑞芮路龙扬延杨永尧伍治廉大理修\
    保书爱雅各缪历山何易芭歇萝娅可于摩怀刘赖茨墨士耐";

/// Longest name part compared (letters or characters; real names are far shorter).
const MAX_LEN: usize = 40;

/// Whether the Han text of a PN group (its components) reads as the passport name (`surname`, `given`:
/// upper-case letters, the given names run together) transcribed into Chinese characters: `史密斯^约翰`,
/// `约翰·史密斯` or `史密斯约翰` for SMITH^JOHN.
pub(crate) fn reads_as_passport(components: &[String], surname: &str, given: &str) -> bool {
    let whole: String = components.concat();
    let hanzi = han(&whole);
    if hanzi.is_empty() || !hanzi.chars().all(|c| TRANSCRIPTION_CHARACTERS.contains(c)) {
        return false;
    }
    let parts: Vec<String> = if whole.chars().any(is_interpunct) {
        whole.split(is_interpunct).map(han).collect()
    } else {
        components.iter().map(|c| han(c)).collect()
    };
    let parts: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect();
    let fits = |hanzi: &str, latin: &str| matches(&pinyin_sounds(hanzi), &latin_sounds(latin));
    let joined = |parts: &[&str]| parts.concat();
    match parts.as_slice() {
        [] => false,
        [one] if given.is_empty() => fits(one, surname),
        [one] => fits(one, &format!("{surname}{given}")) || fits(one, &format!("{given}{surname}")),
        [first, rest @ ..] => {
            let (last, init) = parts.split_last().unwrap_or((first, &[]));
            // Family name first (PN order, `史密斯^约翰`) or last (Western order, `约翰·史密斯`).
            (fits(first, surname) && fits(&joined(rest), given))
                || (fits(last, surname) && fits(&joined(init), given))
        }
    }
}

/// The Han characters of a text.
fn han(text: &str) -> String {
    text.chars().filter(|c| is_han(*c)).collect()
}

/// The consonant sounds of the default pinyin reading of Han characters.
fn pinyin_sounds(hanzi: &str) -> Vec<Sound> {
    let mut out = Vec::new();
    for p in hanzi.chars().take(MAX_LEN).filter_map(|c| c.to_pinyin()) {
        let syllable = p.plain();
        let (initial, rest) = [
            "zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
            "r", "z", "c", "s", "y", "w",
        ]
        .iter()
        .find_map(|i| syllable.strip_prefix(i).map(|rest| (*i, rest)))
        .unwrap_or(("", syllable));
        let first = match initial {
            "b" | "p" => Some(sound(P)),
            "m" => Some(sound(M)),
            "f" => Some(sound(F)),
            "d" | "t" => Some(sound(T)),
            "n" => Some(sound(N)),
            "l" | "r" => Some(sound(L)),
            "g" | "k" => Some(sound(K)),
            "h" => Some(optional(H)),
            // 基 KI, 吉 GI, 奇 CHI; 西 SI, 希 HI/SHI.
            "j" | "q" => Some(sound(J | K)),
            "x" => Some(sound(S | H)),
            "z" | "s" => Some(sound(S)),
            // 茨 for TS/TZ.
            "c" => Some(sound(S | T)),
            "zh" | "ch" => Some(sound(J | S)),
            "sh" => Some(sound(S)),
            // 约 JO/YO, 伊 I/Y: a vowel or a consonant.
            "y" => Some(optional(J)),
            // 威 WI, 维 VI.
            "w" => Some(optional(W | F)),
            _ => None,
        };
        out.extend(first);
        if rest.ends_with('n') || rest.ends_with("ng") {
            // 翰 HN, 廉 LIAM.
            out.push(sound(N | M));
        } else if syllable == "er" {
            // 尔 for L or R.
            out.push(sound(L));
        }
    }
    out
}

/// The consonant sounds of upper-case Latin letters, by English spelling.
fn latin_sounds(latin: &str) -> Vec<Sound> {
    let letters: Vec<u8> = latin
        .bytes()
        .filter(u8::is_ascii_uppercase)
        .take(MAX_LEN)
        .collect();
    let at = |i: usize| letters.get(i).copied();
    let soft = |i: usize| matches!(at(i), Some(b'E' | b'I' | b'Y'));
    let vowel = |i: usize| matches!(at(i), Some(b'A' | b'E' | b'I' | b'O' | b'U'));
    let mut out: Vec<Sound> = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        let next = at(i + 1);
        let (sounds, used): (&[Sound], usize) = match (c, next) {
            (b'T', Some(b'H')) => (&[sound(T | S)], 2),
            (b'S', Some(b'H')) => (&[sound(S | J)], 2),
            (b'C', Some(b'H')) => (&[sound(J | K | S)], 2),
            (b'P', Some(b'H')) => (&[sound(F)], 2),
            (b'C', Some(b'K')) => (&[sound(K)], 2),
            (b'G', Some(b'H')) => (&[optional(F | K)], 2),
            (b'N', Some(b'G')) => (&[sound(N)], 2),
            (b'A' | b'E' | b'I' | b'O' | b'U', _) => (&[], 1),
            (b'Y', _) if i == 0 && vowel(1) => (&[optional(J)], 1),
            (b'Y', _) => (&[], 1),
            (b'H', _) => (&[optional(H)], 1),
            (b'W', _) => (&[optional(W | F)], 1),
            (b'C', _) if soft(i + 1) => (&[sound(S)], 1),
            (b'C' | b'K' | b'Q', _) => (&[sound(K)], 1),
            (b'G', _) if soft(i + 1) => (&[sound(J | K)], 1),
            (b'G', _) => (&[sound(K)], 1),
            (b'X', _) => (&[sound(K), sound(S)], 1),
            (b'B' | b'P', _) => (&[sound(P)], 1),
            (b'D' | b'T', _) => (&[sound(T)], 1),
            (b'F', _) => (&[sound(F)], 1),
            (b'V', _) => (&[sound(F | W)], 1),
            (b'S' | b'Z', _) => (&[sound(S)], 1),
            (b'J', _) => (&[sound(J)], 1),
            (b'M', _) => (&[sound(M)], 1),
            (b'N', _) => (&[sound(N)], 1),
            (b'L' | b'R', _) => (&[sound(L)], 1),
            _ => (&[], 1),
        };
        for s in sounds {
            // A doubled letter is one sound (LL, NN, SS).
            if out.last() != Some(s) {
                out.push(*s);
            }
        }
        i += used;
    }
    // A final D, T or TH is often left out (DAVID 大卫, ELIZABETH 伊丽莎白).
    if let Some(last) = out.last_mut()
        && last.classes & T != 0
    {
        last.optional = true;
    }
    out
}

/// Whether two sound sequences agree: sounds paired in order share a class; an optional sound on either side
/// may stand alone. Both sequences are bounded by [`MAX_LEN`], so the table is small.
fn matches(a: &[Sound], b: &[Sound]) -> bool {
    if a.iter().all(|s| s.optional) || b.iter().all(|s| s.optional) {
        return false;
    }
    let width = b.len() + 1;
    // reach[i * width + j]: the first i sounds of `a` and j of `b` can be paired.
    let mut reach = vec![false; (a.len() + 1) * width];
    if let Some(start) = reach.first_mut() {
        *start = true;
    }
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            if !reach.get(i * width + j).copied().unwrap_or(false) {
                continue;
            }
            let mut mark = |ii: usize, jj: usize| {
                if let Some(r) = reach.get_mut(ii * width + jj) {
                    *r = true;
                }
            };
            let (x, y) = (a.get(i), b.get(j));
            if x.is_some_and(|x| x.optional) {
                mark(i + 1, j);
            }
            if y.is_some_and(|y| y.optional) {
                mark(i, j + 1);
            }
            if let (Some(x), Some(y)) = (x, y)
                && x.classes & y.classes != 0
            {
                mark(i + 1, j + 1);
            }
        }
    }
    reach.last().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(disc: &[&str], surname: &str, given: &str) -> bool {
        let components: Vec<String> = disc.iter().map(|c| c.to_string()).collect();
        reads_as_passport(&components, surname, given)
    }

    #[test]
    fn xinhua_transcriptions_read_as_the_passport_name() {
        assert!(reads(&["史密斯", "约翰"], "SMITH", "JOHN"));
        assert!(reads(&["约翰·史密斯"], "SMITH", "JOHN"));
        assert!(reads(&["约翰・史密斯"], "SMITH", "JOHN"));
        assert!(reads(&["史密斯约翰"], "SMITH", "JOHN"));
        assert!(reads(&["约翰·保罗·史密斯"], "SMITH", "JOHNPAUL"));
        assert!(reads(&["威廉·布朗"], "BROWN", "WILLIAM"));
        assert!(reads(&["玛丽·约翰逊"], "JOHNSON", "MARY"));
        assert!(reads(&["米勒", "汉斯"], "MUELLER", "HANS"));
        assert!(reads(&["本杰明·克拉克"], "CLARK", "BENJAMIN"));
        assert!(reads(&["伊丽莎白·泰勒"], "TAYLOR", "ELIZABETH"));
    }

    #[test]
    fn other_names_do_not() {
        assert!(!reads(&["约翰·布朗"], "SMITH", "JOHN"));
        assert!(!reads(&["李四"], "SMITH", "JOHN"));
        assert!(!reads(&["王芳"], "SMITH", "JOHN"));
        assert!(!reads(&["史密斯"], "SMITH", "JOHN"));
        assert!(!reads(&["张^伟"], "SMITH", "JOHN"));
        // 张三 has the skeleton of JOHN SMITH run together, but 张 is no transcription character.
        assert!(!reads(&["张三"], "SMITH", "JOHN"));
        assert!(!reads(&["张", "三"], "SMITH", "JOHN"));
        assert!(!reads(&["玛丽·史密斯"], "SMITH", "JOHN"));
        assert!(!reads(&["约翰·史密斯"], "JONES", "JOHN"));
        assert!(!reads(&[], "SMITH", "JOHN"));
    }
}
