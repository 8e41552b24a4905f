//! Every English and Chinese text of the `name` check (docs/names-policy.md), in one place.

use super::NameClass;

/// What a message needs to say.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ctx {
    /// The disc name as shown (decoded, groups readable, hanzi with reading).
    pub disc: String,
    /// The passport name as typed, in `SMITH JOHN` style.
    pub passport: String,
    /// The passport name in DICOM form (`SMITH^JOHN`), what the staff should write.
    pub canonical: String,
    /// Words the class is about: the missing or extra given names, the surname recorded, the placeholder.
    pub words: String,
    /// The Han characters on the disc.
    pub hanzi: String,
    /// Their reading (the one that matched, when one did).
    pub reading: String,
    /// The Chinese name typed from the passport (`--name-zh`).
    pub passport_zh: String,
    /// A romanisation hint for a DIFFERENT name (CHEN / CHAN).
    pub hint: Option<String>,
    /// The hanzi-only name reads like a transliterated foreign name rather than a Chinese personal name.
    pub transliteration: bool,
}

/// The three texts of a verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Texts {
    pub message: String,
    pub ask: String,
    pub ask_zh: String,
}

fn t(message: String, ask: String, ask_zh: String) -> Texts {
    Texts {
        message,
        ask,
        ask_zh,
    }
}

/// The texts for a class.
pub(crate) fn texts(class: NameClass, c: &Ctx) -> Texts {
    let (disc, pp, fix) = (&c.disc, &c.passport, &c.canonical);
    let (hz, rd, w) = (&c.hanzi, &c.reading, &c.words);
    let pass = |why: &str| {
        t(
            format!("Name on disc {disc} matches the passport name {pp} ({why})."),
            String::new(),
            String::new(),
        )
    };
    let full_name_ask = format!("Ask the staff to record the full name as in the passport: {fix}.");
    let latin_ask = format!("Ask the staff to add the passport name in Latin letters: {fix}.");
    match class {
        NameClass::Exact => t(
            format!("Name on disc {disc} matches the passport name {pp}."),
            String::new(),
            String::new(),
        ),
        NameClass::NormalisedEqual => pass("only upper/lower case, accents or punctuation differ"),
        NameClass::SpacingOnly => pass("only spacing differs"),
        NameClass::PinyinUVariant => {
            pass("only the spelling of ü differs: LV, LYU and NV, NYU are the same pinyin")
        }
        NameClass::PassportMrzTruncated => pass(
            "the typed name looks cut short as in the passport's machine-readable line; the disc has it in full",
        ),
        NameClass::NoCaretFamilyFirst | NameClass::NoCaretGivenFirst => t(
            format!(
                "Name on disc {disc} matches the passport name {pp}, but surname and given name are not separated on the disc."
            ),
            String::new(),
            String::new(),
        ),
        NameClass::MiddleMissing => t(
            format!(
                "The disc {disc} lacks the given name {w} of the passport name {pp}. Insurers may ask for the full name."
            ),
            full_name_ask,
            format!("光盘上缺少护照上的名字 {w}，保险公司可能要求完整姓名。请按护照更正为 {fix}。"),
        ),
        NameClass::Reversed => t(
            format!(
                "Surname and given name are swapped on the disc {disc} (surname recorded as {w}); the passport name is {pp}."
            ),
            format!("Ask the staff to correct the name to {fix}."),
            format!("光盘中姓和名颠倒（姓被记录为 {w}），请更正为 {fix}。"),
        ),
        NameClass::SurnameMissing => t(
            format!("The disc {disc} has no surname; the passport name is {pp}."),
            format!("Ask the staff to add the surname: {fix}."),
            format!("光盘中缺少姓氏，请按护照更正为 {fix}。"),
        ),
        NameClass::GivenMissing | NameClass::GivenInitialOnly => t(
            format!(
                "The disc {disc} has only the surname (or an initial) of the passport name {pp}. Insurers may ask for the full name."
            ),
            full_name_ask,
            format!(
                "光盘上只有姓（或名的首字母），保险公司可能要求完整姓名。请按护照更正为 {fix}。"
            ),
        ),
        NameClass::DiscNameTruncated => t(
            format!(
                "The name on the disc {disc} is cut short (64-character limit); the passport name is {pp}."
            ),
            full_name_ask,
            format!("光盘上的姓名被截断，请按护照核对并更正为 {fix}。"),
        ),
        NameClass::GivenPartial => t(
            format!(
                "The disc {disc} has only part of the compound given name of the passport name {pp}. Insurers may ask for the full name."
            ),
            full_name_ask,
            format!(
                "光盘上只有护照复合名字的一部分，保险公司可能要求完整姓名。请按护照更正为 {fix}。"
            ),
        ),
        NameClass::ExtraGiven => t(
            format!(
                "The disc {disc} has given names the passport {pp} does not have ({w}); it may be another person with the same name."
            ),
            format!(
                "Ask the staff to check the name against the passport and correct it to {fix}."
            ),
            format!(
                "光盘上多出护照上没有的名字 {w}，可能是同名的另一人。请核对护照并更正为 {fix}。"
            ),
        ),
        NameClass::MinorSpelling => t(
            format!("The disc spells the name {disc}, the passport {pp}."),
            format!(
                "Check the passport; if it is a typing error, ask the staff to correct it to {fix}."
            ),
            format!("光盘上拼写为 {disc}，护照为 {pp}，请核对护照，如为录入错误请更正为 {fix}。"),
        ),
        NameClass::PinyinUAmbiguous => t(
            format!(
                "The disc spells the name {disc}, the passport {pp}: LU may be the old spelling of the same name (吕 LYU) or a different surname (陆/鲁 LU)."
            ),
            format!(
                "Ask the staff to check the Chinese characters and correct the spelling to {fix}."
            ),
            format!(
                "光盘上拼写为 {disc}，护照为 {pp}（ü 写法不同，可能是旧拼法，也可能是陆/鲁等不同姓氏）。请核对汉字并按护照更正为 {fix}。"
            ),
        ),
        NameClass::GivenDifferent | NameClass::Different => {
            let relative = if class == NameClass::GivenDifferent {
                " (same surname: a relative?)"
            } else {
                ""
            };
            let hint = c
                .hint
                .as_deref()
                .map(|h| format!(" {h}"))
                .unwrap_or_default();
            t(
                format!("The disc belongs to {disc}, not {pp}{relative}.{hint}"),
                "Do not take this disc: ask the staff for the disc with your own images."
                    .to_string(),
                format!(
                    "光盘上的姓名为 {disc}，与护照 {pp} 不符，不是本人的影像。请提供本人的影像光盘。"
                ),
            )
        }
        NameClass::HanziOnlyReadingMatches => t(
            format!(
                "The disc has the name only in Chinese characters {hz} ({rd}); this sounds like the passport name {pp}. Check the characters against the passport; foreign systems may not show Chinese."
            ),
            latin_ask,
            format!(
                "光盘中姓名只有汉字“{hz}”（{rd}），读音与护照一致。请与护照上的汉字核对；国外系统可能无法显示中文。请补录护照英文姓名 {fix}。"
            ),
        ),
        NameClass::HanziSoundsAlike => t(
            format!(
                "The disc has the name only in Chinese characters {hz} ({rd}); this only sounds similar to the passport name {pp}. Check the characters against the passport."
            ),
            format!(
                "Ask the staff to check the characters and add the passport name in Latin letters: {fix}."
            ),
            format!(
                "光盘中姓名只有汉字“{hz}”（{rd}），读音与护照 {pp} 相近但不一致。请核对汉字，并补录护照英文姓名 {fix}。"
            ),
        ),
        NameClass::HanziMatchesPassportZh => t(
            format!(
                "The disc has the name only in Chinese characters {hz} ({rd}), as on the passport; foreign systems may not show Chinese (passport name {pp})."
            ),
            latin_ask,
            format!(
                "光盘中姓名只有汉字“{hz}”，与护照一致；国外系统可能无法显示中文。请补录护照英文姓名 {fix}。"
            ),
        ),
        NameClass::HanziDifferent => {
            let zh = if c.passport_zh.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.passport_zh)
            };
            t(
                format!("The disc has only a Chinese name {hz} ({rd}), which is not the passport name {pp}{zh}."),
                "Do not take this disc unless the staff confirm it is yours; ask for the passport name in Latin letters.".to_string(),
                format!("光盘中只有中文姓名“{hz}”（{rd}），与护照 {pp}{zh} 不符。请先核对是否为本人的影像，确认后再补录护照上的英文姓名。"),
            )
        }
        NameClass::HanziTranscribesPassport => t(
            format!(
                "The disc has the name only in Chinese characters {hz} ({rd}): your passport name {pp} written in Chinese characters. Nobody abroad can match it to the passport."
            ),
            latin_ask,
            crate::checks::wording::transliterated_name(hz, pp, fix),
        ),
        NameClass::HanziOnlyForeignPassport => {
            let (why, why_zh) = if c.transliteration {
                (
                    "it reads like a foreign name written in Chinese characters, but not like the passport name: it may be someone else's name",
                    "像是外国姓名的中文译名，但读音与护照姓名不符，可能是他人的姓名",
                )
            } else {
                (
                    "it does not read as the passport name and looks like a Chinese personal name (a guess): perhaps a relative's or that of the person who registered",
                    "读音与护照姓名不符，可能是他人（如家属或挂号人）的姓名",
                )
            };
            t(
                format!(
                    "The disc has only a Chinese name {hz} ({rd}). It cannot be matched to the passport {pp} abroad; {why}."
                ),
                format!(
                    "Do not take this disc unless the staff confirm these are your images; then ask them to add the passport name in Latin letters: {fix}."
                ),
                format!(
                    "光盘中只有中文姓名“{hz}”，{why_zh}，国外也无法与护照 {pp} 对应。请先核对是否为本人的检查：如是，请补录护照英文姓名 {fix}；如不是，请提供本人的影像光盘。"
                ),
            )
        }
        NameClass::NoLatinName => t(
            format!(
                "The disc name {disc} has no Latin letters and cannot be matched to the passport {pp} abroad."
            ),
            latin_ask,
            format!(
                "光盘姓名“{disc}”没有拉丁字母，国外无法与护照 {pp} 对应。请补录护照英文姓名 {fix}。"
            ),
        ),
        NameClass::Empty | NameClass::NameLost | NameClass::Placeholder => {
            let (what, what_zh) = match class {
                NameClass::Empty => ("empty".to_string(), "空".to_string()),
                _ => (format!("\"{w}\""), format!("“{w}”")),
            };
            t(
                format!("The disc has no usable patient name ({what}); the passport name is {pp}."),
                format!("Ask the staff to record the passport name on the disc: {fix}."),
                format!("光盘中没有有效的患者姓名（{what_zh}），请按护照录入姓名 {fix}。"),
            )
        }
        NameClass::InconsistentGroups => t(
            format!(
                "The disc name {disc} has a Latin part that fits the passport {pp}, but it also holds {hz} ({rd}), which does not read as that name: the disc may name two people."
            ),
            format!(
                "Ask the staff which person this is, and to correct the name so that every part is the passport name {fix}."
            ),
            format!(
                "光盘姓名 {disc} 的英文部分与护照 {pp} 相符，但其中的“{hz}”（{rd}）与之不符，可能是两个人的姓名。请先核对是哪位患者，再更正为护照姓名 {fix}。"
            ),
        ),
        NameClass::MixedScript => t(
            format!(
                "The disc name {disc} mixes letters of another script that look Latin ({w}) into a Latin name: it looks like the passport name {pp}, but foreign systems will not find or sort it as that name."
            ),
            format!("Ask the staff to retype the name in Latin letters only: {fix}."),
            format!(
                "光盘姓名“{disc}”中混有外形像拉丁字母的其他文字字母（{w}），看似与护照 {pp} 一致，但国外系统无法按此姓名检索。请用纯拉丁字母重新录入：{fix}。"
            ),
        ),
        NameClass::Homoglyph => t(
            format!(
                "The disc name {disc} holds letters of another script ({w}) that look like Latin letters but read differently: to a foreign system it is not the passport name {pp}, and it may be someone else's."
            ),
            format!(
                "Do not take this disc until the staff retype the name in Latin letters only: {fix}."
            ),
            format!(
                "光盘姓名“{disc}”中含有外形像拉丁字母、读音却不同的其他文字字母（{w}），国外系统会视为与护照 {pp} 不同的姓名，可能是他人。请用纯拉丁字母重新录入：{fix}。"
            ),
        ),
        NameClass::InvisibleCharacters => t(
            format!(
                "The disc name {disc} matches the passport name {pp}, but it holds invisible characters ({w}): foreign systems may show, sort or search it differently."
            ),
            format!("Ask the staff to retype the name without them: {fix}."),
            format!(
                "光盘姓名中含有不可见字符（{w}），国外系统可能显示或检索异常。请重新录入姓名：{fix}。"
            ),
        ),
        NameClass::TransliterationMatches => t(
            format!(
                "The disc has the name only in another script, {hz}; its standard transliteration {rd} matches the passport name {pp}, but foreign systems may not show it."
            ),
            latin_ask,
            format!(
                "光盘中姓名只有非拉丁文字“{hz}”，其标准转写 {rd} 与护照 {pp} 一致；国外系统可能无法显示。请补录护照英文姓名 {fix}。"
            ),
        ),
        NameClass::TransliterationDifferent => t(
            format!(
                "The disc has the name only in another script, {hz}, which transliterates as {rd}: not the passport name {pp}."
            ),
            format!(
                "Do not take this disc unless the staff confirm it is yours; ask for the passport name in Latin letters: {fix}."
            ),
            format!(
                "光盘中姓名只有非拉丁文字“{hz}”（转写为 {rd}），与护照 {pp} 不符。请先核对是否为本人的影像，确认后再补录护照英文姓名 {fix}。"
            ),
        ),
        NameClass::Mojibake => t(String::new(), String::new(), String::new()),
    }
}

/// The wrong-character-set texts, put in front of the class texts.
pub(crate) fn mojibake(others: &str, disc: &str, charset: &str) -> Texts {
    t(
        format!(
            "The name is stored with the wrong character set: it is written in {charset} but not declared so, and other computers show it as {others} (it is {disc})."
        ),
        format!(
            "Ask the staff to declare the character set the name is written in ({charset}), or to write it in UTF-8."
        ),
        format!(
            "姓名字符集错误：实际为 {charset} 编码但未正确声明，其他电脑会显示为 {others}（实为“{disc}”）。请正确声明字符集（{charset}）或以 UTF-8 重新写入。"
        ),
    )
}

/// The texts for a name that could not be fully decoded, put in front of the class texts.
pub(crate) fn lossy(disc: &str) -> Texts {
    t(
        format!(
            "Part of the name {disc} is not valid in its character set and cannot be read by other computers."
        ),
        "Ask the staff to write the name in the character set it declares, or in UTF-8."
            .to_string(),
        format!(
            "姓名“{disc}”部分字符无效，其他电脑无法正确显示。请按声明的字符集或以 UTF-8 重新写入。"
        ),
    )
}

/// The note added when the typed passport name had no separator.
pub(crate) const UNORDERED_NOTE: &str = " (The typed passport name does not say which part is the surname; it was compared in any order.)";

/// The romanisation hint for surnames that can be one Chinese surname in two systems.
pub(crate) fn romanisation_hint(disc: &str, passport: &str) -> String {
    format!(
        "({disc} and {passport} can be the same Chinese surname in two romanisations, but the name must match the passport.)"
    )
}
