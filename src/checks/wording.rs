//! Every text the checks show people, English and Chinese side by side, in one place (the `name` check's own
//! texts are in `names/messages.rs`).
//!
//! English is for a tired patient at the counter: plain words, any technical term explained where it appears
//! ("the DICOMDIR (the disc's index)"). Chinese is a polite request to a hospital records clerk, with the same
//! terms throughout: 光盘/U盘, 影像, 序列, 检查, 重新刻录, 患者姓名; full-width punctuation; every request ends
//! in 。. A function per situation takes the numbers, names and labels it needs and returns the texts.

use super::report_files::ReportKind;
use super::{CheckId, Finding, Severity, plural};
use crate::date::{DateRange, StudyDate};

/// The three texts of a finding: what is wrong, and what to ask the staff in English and in Chinese.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Texts {
    pub message: String,
    pub ask: String,
    pub ask_zh: String,
    /// Technical detail for `--verbose` (positions, ...), empty if none.
    pub detail: String,
}

impl Texts {
    /// The finding these texts describe.
    pub(crate) fn finding(self, check: CheckId, severity: Severity) -> Finding {
        let mut finding = Finding::new(check, severity, self.message).ask(self.ask, self.ask_zh);
        finding.detail = self.detail;
        finding
    }
}

fn t(message: impl Into<String>, ask: impl Into<String>, ask_zh: impl Into<String>) -> Texts {
    Texts {
        message: message.into(),
        ask: ask.into(),
        ask_zh: ask_zh.into(),
        detail: String::new(),
    }
}

/// A note for the record: nothing to ask.
fn note(message: impl Into<String>) -> Texts {
    t(message, "", "")
}

const REBURN: &str = "Ask them to burn the disc again, then check the new disc before you leave.";
const NEW_DISC: &str = "Ask for a new disc (or a USB stick), then check it before you leave.";
const NEW_DISC_ZH: &str = "请重新刻录一张光盘，或把影像拷贝到U盘。";

fn files(n: usize) -> String {
    plural(n, "file", "files")
}

fn are(n: usize) -> &'static str {
    if n == 1 { "is" } else { "are" }
}

fn them(n: usize) -> &'static str {
    if n == 1 { "it" } else { "them" }
}

/// `text` with its first letter in upper case, to start a sentence with a label.
pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------------------------
// The counter note and the verdict (report/human.rs, report/html.rs)

/// What the patient reads above the Chinese note.
pub(crate) const NOTE_HEADING_ZH: &str = "Note for the counter staff, in Chinese (show them this):";
/// What the patient reads above the English note.
pub(crate) const NOTE_HEADING_EN: &str = "Note for the counter staff (show them this):";

/// What the checked media is, as the counter note names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    /// A CD, DVD or Blu-ray (ISO 9660 or UDF).
    Optical,
    /// A mounted USB stick or other drive.
    Usb,
    /// A downloaded `.zip` or `.iso`.
    Download,
    /// A folder or a single file.
    Folder,
}

/// The medium in a Chinese sentence: `这张光盘`, `这个U盘`, ...
pub(crate) fn medium_zh(medium: Medium) -> &'static str {
    match medium {
        Medium::Optical => "这张光盘",
        Medium::Usb => "这个U盘",
        Medium::Download => "这个下载的影像文件",
        Medium::Folder => "这份影像资料",
    }
}

/// The medium in an English sentence.
pub(crate) fn medium_en(medium: Medium) -> &'static str {
    match medium {
        Medium::Optical => "this disc",
        Medium::Usb => "this USB stick",
        Medium::Download => "this download",
        Medium::Folder => "these images",
    }
}

/// The greeting that opens the Chinese note; `optional` when the disc passed and the requests are favours.
pub(crate) fn note_greeting_zh(medium: Medium, optional: bool) -> String {
    let medium = medium_zh(medium);
    if optional {
        format!("您好！{medium}检查通过。以下几点如方便请帮忙处理，不处理也可以：")
    } else {
        format!("您好！{medium}经检查发现以下问题，麻烦您帮忙处理：")
    }
}

/// The greeting that opens the English note.
pub(crate) fn note_greeting_en(medium: Medium, optional: bool) -> String {
    let medium = medium_en(medium);
    if optional {
        format!(
            "Hello, {medium} passed the check. If convenient, could you help with the points below (optional)?"
        )
    } else {
        format!(
            "Hello, checking {medium} found the problems below; could you please help to fix them?"
        )
    }
}

/// Who is on the disc, for staff to find the exam in their system: `光盘上的患者：SMITH JOHN（患者ID：H1）`.
pub(crate) fn note_patients_zh(medium: Medium, people: &[(String, Option<String>)]) -> String {
    let place = match medium {
        Medium::Usb => "U盘上的患者",
        Medium::Optical => "光盘上的患者",
        Medium::Download | Medium::Folder => "影像中的患者",
    };
    let people: Vec<String> = people
        .iter()
        .map(|(name, id)| {
            let name = if name == NO_NAME {
                "无姓名".to_string()
            } else {
                zh_name(name)
            };
            match id {
                Some(id) => format!("{name}（患者ID：{id}）"),
                None => format!("{name}（无患者ID）"),
            }
        })
        .collect();
    format!("{place}：{}", people.join("；"))
}

/// The same in English.
pub(crate) fn note_patients_en(people: &[(String, Option<String>)]) -> String {
    let people: Vec<String> = people
        .iter()
        .map(|(name, id)| match id {
            Some(id) => format!("{name} (patient ID {id})"),
            None => format!("{name} (no patient ID)"),
        })
        .collect();
    format!("Patient on the disc: {}", people.join("; "))
}

/// The exams, dates and modalities: `检查：2026-11-18 MR；2026-11-20 CT`.
pub(crate) fn note_exams_zh(exams: &[String]) -> String {
    format!("检查：{}", exams.join("；"))
}

/// The same in English.
pub(crate) fn note_exams_en(exams: &[String]) -> String {
    format!("Exams: {}", exams.join("; "))
}

/// One exam for the note: `2026-11-20 CT（检查号 A1）`, `日期不详 CT` / `no date CT (accession A1)`.
pub(crate) fn note_exam(
    date: Option<&str>,
    modalities: &str,
    accession: Option<&str>,
    zh: bool,
) -> String {
    let mut exam = date
        .unwrap_or(if zh { "日期不详" } else { "no date" })
        .to_string();
    if !modalities.is_empty() {
        exam = format!("{exam} {modalities}");
    }
    match accession {
        Some(a) if zh => format!("{exam}（检查号 {a}）"),
        Some(a) => format!("{exam} (accession {a})"),
        None => exam,
    }
}

/// Which exam a request concerns, before the request: `检查号 A1：` or `第2个检查：` (`index` from 0).
pub(crate) fn exam_reference_zh(index: usize, accession: Option<&str>) -> String {
    match accession {
        Some(a) => format!("检查号 {a}："),
        None => format!("第{}个检查：", index + 1),
    }
}

/// A request on a passing disc, marked as optional.
pub(crate) fn optional_zh(request: &str) -> String {
    if request.contains("如方便") {
        request.to_string()
    } else {
        format!("（如方便）{request}")
    }
}

/// A name as it may appear inside a Chinese sentence: see [`zh_sentence`].
pub(crate) fn zh_name(name: &str) -> String {
    zh_sentence(name)
}

/// A Chinese sentence as staff read it: no DICOM separators (`SMITH^JOHN` → `SMITH JOHN`, `张^三` → `张三`) and
/// no pinyin readings in parentheses (`张三 (zhang san)`, `“张三”（zhāng sān）` → the characters alone).
pub fn zh_sentence(text: &str) -> String {
    let pinyin = |inside: &str| {
        !inside.trim().is_empty()
            && inside.chars().all(|c| {
                c.is_ascii_lowercase()
                    || " /'·".contains(c)
                    || "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü".contains(c)
            })
    };
    let mut kept = String::new();
    let mut rest = text;
    loop {
        let open = [(" (", ')'), ("（", '）')]
            .into_iter()
            .filter_map(|(open, close)| rest.find(open).map(|at| (at, open.len(), close)))
            .min_by_key(|(at, _, _)| *at);
        let Some((at, open_len, close)) = open else {
            break;
        };
        let Some(len) = rest[at + open_len..].find(close) else {
            break;
        };
        let end = at + open_len + len + close.len_utf8();
        kept.push_str(&rest[..at]);
        if !pinyin(&rest[at + open_len..at + open_len + len]) {
            kept.push_str(&rest[at..end]);
        }
        rest = &rest[end..];
    }
    kept.push_str(rest);
    let chars: Vec<char> = kept.chars().collect();
    // Han, kana and hangul names are written without a space; Cyrillic, Greek and accented Latin keep one.
    let wide = |c: Option<&char>| c.is_some_and(|&c| u32::from(c) >= 0x2E80);
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c != '^' {
            out.push(c);
        } else if !(wide(i.checked_sub(1).and_then(|j| chars.get(j))) && wide(chars.get(i + 1))) {
            out.push(' ');
        }
    }
    let mut squeezed = String::new();
    for c in out.trim().chars() {
        if !(c == ' ' && squeezed.ends_with(' ')) {
            squeezed.push(c);
        }
    }
    squeezed
}

/// The verdict line of a passing disc: `RESULT: PASS` or `RESULT: PASS (1 warning, no action needed)`.
pub(crate) fn verdict_pass(warnings: usize) -> String {
    if warnings > 0 {
        format!(
            "RESULT: PASS ({}, no action needed)",
            plural(warnings, "warning", "warnings")
        )
    } else {
        "RESULT: PASS".to_string()
    }
}

/// What a warning's request becomes on a passing disc.
pub(crate) fn optional_ask(ask: &str) -> String {
    format!("Optional, no action needed: {ask}")
}

/// The summary's line about the images phase: `Opened every image: 51 frames decoded from 51 files (0.5 MB read)
/// in 0.1 s.`; when some files failed to decode, it never says "every" (`Opened 51 files (0.5 MB read) in 0.1 s:
/// 48 frames decoded; 2 files have damaged images, listed below.`); or that there was none to open.
pub(crate) fn images_opened(
    frames: u64,
    files: usize,
    damaged_files: usize,
    bytes: u64,
    seconds: f64,
) -> String {
    if files == 0 {
        return "No image to open.".to_string();
    }
    let read = format!("({:.1} MB read) in {seconds:.1} s", bytes as f64 / 1e6);
    if damaged_files > 0 {
        return format!(
            "Opened {} {read}: {} decoded; {} damaged images, listed below.",
            plural(files, "file", "files"),
            plural(frames as usize, "frame", "frames"),
            if damaged_files == 1 {
                "1 file has".to_string()
            } else {
                format!("{damaged_files} files have")
            },
        );
    }
    format!(
        "Opened every image: {} decoded from {} {read}.",
        plural(frames as usize, "frame", "frames"),
        plural(files, "file", "files"),
    )
}

/// `--verify-copy` found files missing or changed: the verdict line, and what to do.
pub(crate) fn copy_changed() -> (&'static str, &'static str) {
    (
        "RESULT: FAIL — this copy is no longer the one that was checked.",
        "What to do: copy the disc again from the original (dicomcheck DISC --copy-to NEW_FOLDER), or, if the \
         disc is gone, restore the files listed above from another backup.",
    )
}

/// The counts line of a download whose contents could not be listed at all.
pub(crate) fn nothing_read_from_download(seconds: f64) -> String {
    format!("Nothing could be read from the download ({seconds:.1} s).")
}

/// A size for people: `0.5 MB`, `1.2 GB`.
pub(crate) fn size(bytes: u64) -> String {
    if bytes >= 1_000_000_000 {
        format!("{:.1} GB", bytes as f64 / 1e9)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// The summary's line about the written report: present (`items`: `PDF file`, `DICOM structured report`) or not.
pub(crate) fn radiology_report_line(items: &[String]) -> String {
    if items.is_empty() {
        "Radiology report: not on the disc (see the note below).".to_string()
    } else {
        format!("Radiology report: on the disc ({})", items.join("; "))
    }
}

/// One report found, as the summary names it: `DICOM structured report`, `PDF inside a DICOM file, 2 pages`,
/// `PDF, 1 page: 报告/CT.pdf`. `pages` is for PDFs: `None` when the count cannot be told.
pub(crate) fn report_item(
    kind: ReportKind,
    format: Option<&str>,
    path: &str,
    pages: Option<u32>,
) -> String {
    let pages = match pages {
        Some(n) => plural(n as usize, "page", "pages"),
        None => "page count unknown".to_string(),
    };
    match kind {
        ReportKind::StructuredReport => "DICOM structured report".to_string(),
        ReportKind::EncapsulatedPdf => format!("PDF inside a DICOM file, {pages}"),
        ReportKind::EncapsulatedCda => "CDA document inside a DICOM file".to_string(),
        ReportKind::File if format == Some("PDF") => format!("PDF, {pages}: {path}"),
        ReportKind::File => format!("{} file {path}", format.unwrap_or("document")),
    }
}

/// The disc holds images but no written report.
pub(crate) fn no_radiology_report() -> Texts {
    note(
        "No radiologist's written report was found on the disc. Images and report are two separate things: \
         if you need the report, collect it as well (in Chinese: 影像诊断报告).",
    )
}

/// The words every cut-short finding starts with, so that [`super::settle`] can make it the one finding.
pub(crate) const DOWNLOAD_INCOMPLETE: &str = "The download is incomplete: it was cut short";

/// A `.zip` or `.iso` whose end is missing (an interrupted download or copy); `lost` files in it are missing or
/// partial. The laptop's download, not the hospital's disc: no request to the staff.
pub(crate) fn download_incomplete(lost: usize) -> Texts {
    let lost = if lost == 0 {
        String::new()
    } else {
        format!(
            " {} {} missing or only partly there.",
            capitalized(&files(lost)),
            are(lost)
        )
    };
    t(
        format!(
            "{DOWNLOAD_INCOMPLETE} while it was downloaded or copied (the end of the file or disc image is \
             missing).{lost}"
        ),
        "Download it again (the same link), or copy the disc image again, then check the new file.",
        "",
    )
}

/// The verdict line of a failing disc.
pub(crate) fn verdict_fail(problems: usize) -> String {
    format!(
        "RESULT: FAIL — {} to fix before you leave the counter",
        plural(problems, "problem", "problems")
    )
}

// ---------------------------------------------------------------------------------------------------------------
// media: no readable DICOM at all

/// The disc holds no file at all.
pub(crate) fn media_empty() -> Texts {
    t(
        "The disc is empty: there are no files on it.",
        "Ask them to burn your scans onto the disc again, then check the new disc before you leave.",
        "光盘是空的，里面没有任何文件。请重新刻录本人的影像。",
    )
}

/// Every image file on the disc is unreadable.
pub(crate) fn media_all_damaged(n: usize) -> Texts {
    let message = if n == 1 {
        "The only image file on the disc cannot be read: the disc is damaged or was badly burned."
            .to_string()
    } else {
        format!(
            "None of the {n} image files on the disc can be read: the disc is damaged or was badly burned."
        )
    };
    t(
        message,
        NEW_DISC,
        format!("光盘中的影像文件（共{n}个）全部无法读取，光盘可能已损坏或刻录失败。{NEW_DISC_ZH}"),
    )
}

/// The disc holds only a link or QR code to an online viewer.
pub(crate) fn media_cloud_film() -> Texts {
    t(
        "The disc only holds a link or QR code to an online \"cloud film\" viewer, not the images themselves. \
         Such links expire and often do not open abroad.",
        "Ask for the original images in DICOM format (the standard format for medical images) on a disc or USB \
         stick.",
        "光盘中只有云胶片的链接或二维码，没有DICOM原始影像。链接会过期，在国外往往无法打开。请把DICOM原始影像刻录到光盘或拷贝到U盘。",
    )
}

/// The disc holds pictures, PDFs or videos instead of DICOM.
pub(crate) fn media_pictures_only() -> Texts {
    t(
        "The disc only holds pictures, documents or videos (JPEG, PDF, ...), not the scans themselves: a doctor \
         at home cannot use them like the original images.",
        "Ask for the original images in DICOM format (in Chinese: \"DICOM原始影像\").",
        "光盘中只有图片、PDF或视频，没有DICOM原始影像，国外医生无法当作原始影像使用。请刻录DICOM格式的原始影像。",
    )
}

/// The disc holds a viewer program and nothing else.
pub(crate) fn media_viewer_only() -> Texts {
    t(
        "The disc holds only a viewer program, no scan images.",
        "Ask them to burn your scan images (DICOM) onto the disc, then check it again.",
        "光盘中只有阅片软件，没有影像文件。请把本人的DICOM影像刻录到光盘上。",
    )
}

/// The disc holds `n` files, none of them DICOM.
pub(crate) fn media_no_dicom(n: usize) -> Texts {
    t(
        format!(
            "The disc holds {}, but no medical images in DICOM format (the standard format for scans) among them.",
            files(n)
        ),
        "Ask them to burn your scan images in DICOM format, then check the disc again.",
        "光盘中没有DICOM格式的医学影像。请用DICOM格式刻录本人的影像。",
    )
}

// ---------------------------------------------------------------------------------------------------------------
// integrity: every file read whole

/// `n` files that should be images are zero bytes long.
pub(crate) fn empty_files(n: usize) -> Texts {
    t(
        format!(
            "{} on the disc {} empty (zero bytes): the burn did not finish.",
            capitalized(&files(n)),
            are(n)
        ),
        REBURN,
        format!("光盘中有{n}个文件是空的（0字节），刻录没有完成。请重新刻录光盘。"),
    )
}

/// `n` files named or placed like images are not DICOM.
pub(crate) fn junk_files(n: usize) -> Texts {
    t(
        format!(
            "{} named or placed like {} {} not {} at all.",
            capitalized(&files(n)),
            if n == 1 {
                "a scan image"
            } else {
                "scan images"
            },
            are(n),
            if n == 1 {
                "a DICOM image"
            } else {
                "DICOM images"
            }
        ),
        "Ask them to burn the disc again in DICOM format, then check the new disc before you leave.",
        format!("光盘中有{n}个按影像命名或存放的文件不是DICOM格式。请用DICOM格式重新刻录光盘。"),
    )
}

/// `n` DICOM files are cut short.
pub(crate) fn truncated_files(n: usize) -> Texts {
    t(
        format!(
            "{} {} cut short: the disc was not burned completely.",
            capitalized(&files(n)),
            are(n)
        ),
        REBURN,
        format!("光盘中有{n}个文件不完整（刻录中断）。请重新刻录光盘。"),
    )
}

/// `n` files could not be read from the media.
pub(crate) fn unreadable_files(n: usize) -> Texts {
    t(
        format!(
            "{} could not be read from the disc (read error): it may be scratched or badly burned.",
            capitalized(&files(n))
        ),
        NEW_DISC,
        format!("光盘中有{n}个文件无法读取（读盘错误），光盘可能有划痕或刻录不良。{NEW_DISC_ZH}"),
    )
}

/// `n` DICOM files are damaged in another way.
pub(crate) fn damaged_files(n: usize) -> Texts {
    t(
        format!(
            "{} {} damaged and cannot be opened.",
            capitalized(&files(n)),
            are(n)
        ),
        REBURN,
        format!("光盘中有{n}个DICOM文件已损坏，无法打开。请重新刻录光盘。"),
    )
}

/// Why an uncompressed image is truncated, shown beside its path.
pub(crate) fn pixel_data_short(held: u64, needed: u64) -> String {
    format!("image data holds {held} bytes, the image size needs {needed}")
}

/// Why a compressed image is truncated, shown beside its path.
pub(crate) const PIXEL_DATA_NO_FRAME: &str = "the compressed image data holds no image";

/// `n` files use the private or unknown encodings `uids` (transfer syntax UIDs, for `--verbose`).
pub(crate) fn unknown_encoding(n: usize, uids: &[&str]) -> Texts {
    let mut texts = t(
        format!(
            "{} {} a private or unknown image encoding: other hospitals' software may not open {}.",
            capitalized(&files(n)),
            if n == 1 { "uses" } else { "use" },
            them(n)
        ),
        "Ask whether they can export the images in standard DICOM (uncompressed or JPEG) instead.",
        "部分影像使用了非标准的私有编码，其他医院可能无法打开。请尽量以标准DICOM格式（不压缩或JPEG）导出影像。",
    );
    texts.detail = format!("Transfer syntax UIDs: {}.", uids.join(", "));
    texts
}

/// `n` files use the uncommon compressions `names`.
pub(crate) fn unusual_compression(n: usize, names: &[&str]) -> Texts {
    t(
        format!(
            "{} {} a compression ({}) that some viewers and hospital systems cannot open yet.",
            capitalized(&files(n)),
            if n == 1 { "uses" } else { "use" },
            names.join(", ")
        ),
        "Ask whether they can export the images uncompressed or as JPEG instead.",
        "部分影像使用了较少见的压缩格式，有些阅片软件无法打开。请尽量以不压缩或JPEG格式导出影像。",
    )
}

/// `n` folders or entries of the media could not be read.
pub(crate) fn unreadable_entries(n: usize) -> Texts {
    t(
        format!(
            "{} on the disc could not be read (read error): the disc may be scratched or badly burned.",
            capitalized(&plural(n, "folder or entry", "folders or entries"))
        ),
        NEW_DISC,
        format!("光盘中有{n}个目录或文件无法读取（读盘错误）。{NEW_DISC_ZH}"),
    )
}

/// `n` entries of an archive were refused.
pub(crate) fn archive_refused(n: usize) -> Texts {
    t(
        format!(
            "{} of the archive could not be checked (damaged, password-protected or unsafe): nothing was \
             extracted from {}.",
            capitalized(&plural(n, "entry", "entries")),
            them(n)
        ),
        "Ask for a new download (without a password), or for the images on a disc or USB stick, then check it \
         before you leave.",
        "压缩包或光盘镜像中有内容损坏、加了密码或不安全，无法检查。请重新提供下载（不要加密码），或把影像刻录到光盘或拷贝到U盘。",
    )
}

/// `n` files of a disc image are stored once under several names.
pub(crate) fn shared_files(n: usize) -> Texts {
    note(format!(
        "{} of the disc image {} stored once under several names (sharing their bytes with another file): \
         each stored file was read once, and a copy holds it once.",
        capitalized(&files(n)),
        are(n)
    ))
}

/// Why a file of a disc image is named beside its path: `the same bytes as README.TXT`.
pub(crate) fn same_bytes_as(owner: &str) -> String {
    format!("the same bytes as {owner}")
}

/// `n` entries are device nodes or pipes.
pub(crate) fn special_entries(n: usize) -> Texts {
    note(format!(
        "{} on the media {} not ordinary files (device nodes or pipes) and {} not read.",
        capitalized(&plural(n, "entry", "entries")),
        are(n),
        if n == 1 { "was" } else { "were" }
    ))
}

/// `n` symbolic links were not followed.
pub(crate) fn symlinks(n: usize) -> Texts {
    note(format!(
        "{} not followed.",
        capitalized(&plural(n, "symbolic link was", "symbolic links were"))
    ))
}

// ---------------------------------------------------------------------------------------------------------------
// dicomdir: the disc's index against the files

/// The disc has images but no DICOMDIR.
pub(crate) fn no_dicomdir() -> Texts {
    t(
        "The disc has no DICOMDIR (the index file that hospital import software looks for first).",
        "Ask for a disc in the standard DICOM format (IHE PDI, with a DICOMDIR): some hospitals at home cannot \
         import a disc without one.",
        "光盘中没有DICOMDIR索引文件，部分医院的导入软件无法读取。请按标准DICOM格式（IHE PDI，含DICOMDIR）刻录光盘。",
    )
}

/// The DICOMDIR cannot be read (`error` says why: for `--verbose`).
pub(crate) fn dicomdir_damaged(error: &str) -> Texts {
    let mut texts = t(
        "The disc's index (DICOMDIR) is damaged. Import software at home may not load the disc. The images \
         themselves were still checked one by one.",
        "Ask them to burn the disc again, with a correct DICOMDIR.",
        "光盘的DICOMDIR索引文件已损坏，导入软件可能无法读取光盘。请重新刻录光盘，并生成正确的DICOMDIR。",
    );
    texts.detail = format!("{}.", capitalized(error));
    texts
}

/// `n` image files are not listed in the DICOMDIR.
pub(crate) fn unlisted_images(n: usize) -> Texts {
    t(
        format!(
            "{} on the disc {} not listed in the DICOMDIR (the disc's index): import software that follows the \
             index will skip {}.",
            capitalized(&plural(n, "image file", "image files")),
            are(n),
            them(n)
        ),
        "Ask them to burn the disc again so that the DICOMDIR lists every image.",
        format!(
            "光盘中有{n}个影像文件未列入DICOMDIR索引，导入时会被遗漏。请重新刻录光盘，使DICOMDIR包含全部影像。"
        ),
    )
}

/// The DICOMDIR lists `n` files that are not on the disc.
pub(crate) fn listed_files_missing(n: usize) -> Texts {
    t(
        format!(
            "The DICOMDIR (the disc's index) lists {} that {} not on the disc: import at home will fail or be \
             incomplete.",
            files(n),
            are(n)
        ),
        "Ask them to burn the disc again and check that every image was copied.",
        format!("DICOMDIR索引中列出的{n}个文件在光盘上不存在。请重新刻录完整的光盘。"),
    )
}

/// The DICOMDIR points to `n` files outside its folder.
pub(crate) fn listed_outside(n: usize) -> Texts {
    t(
        format!(
            "The DICOMDIR (the disc's index) points to {} outside the disc (a path with '..' or an absolute \
             path); {} not opened.",
            files(n),
            if n == 1 { "it was" } else { "they were" }
        ),
        "Ask them to burn the disc again with a standard DICOMDIR.",
        "DICOMDIR索引指向光盘以外的路径，不符合标准。请重新刻录光盘。",
    )
}

/// For `n` files the DICOMDIR names another image, series or study.
pub(crate) fn listed_uids_differ(n: usize) -> Texts {
    t(
        format!(
            "For {} the DICOMDIR (the disc's index) names a different image, series or study than the file \
             itself holds.",
            files(n)
        ),
        "Ask them to burn the disc again so that the DICOMDIR matches the images.",
        "DICOMDIR索引与影像文件的内容不一致。请重新刻录光盘。",
    )
}

/// The DICOMDIR names the patient `listed`, the images `actual`.
pub(crate) fn listed_name_differs(listed: &str, actual: &str) -> Texts {
    t(
        format!(
            "The DICOMDIR (the disc's index) names the patient \"{listed}\", but the images say \"{actual}\": \
             import software at home shows the DICOMDIR's name."
        ),
        "Ask them to correct the name in the DICOMDIR so that it matches the images.",
        format!(
            "DICOMDIR索引中的患者姓名（{}）与影像中的姓名（{}）不一致。请更正DICOMDIR中的患者姓名。",
            zh_name(listed),
            zh_name(actual)
        ),
    )
}

/// The DICOMDIR's internal links are broken.
pub(crate) fn dicomdir_links_broken() -> Texts {
    t(
        "The links inside the DICOMDIR (the disc's index) are broken; it was read in file order instead. Some \
         import software may not read it.",
        "Ask them to burn the disc again with a correct DICOMDIR.",
        "DICOMDIR索引的内部链接有误，部分软件可能无法读取。请重新刻录光盘。",
    )
}

/// A stale length in the DICOMDIR runs past its record list or the file; the records were still read.
pub(crate) fn dicomdir_length_overrun() -> Texts {
    t(
        "The record list of the DICOMDIR (the disc's index) says it is longer than the file (a length was \
         not updated when it was edited). Its records were read, but strict import software may reject it.",
        "Ask for a disc with a correctly written DICOMDIR, in case this one will not import at home.",
        "DICOMDIR索引中记录的长度与文件不符（编辑后未更新），部分严格的导入软件可能拒绝读取。请重新生成DICOMDIR后刻录。",
    )
}

/// The DICOMDIR lists no image.
pub(crate) fn dicomdir_lists_nothing() -> Texts {
    t(
        "The DICOMDIR (the disc's index) lists no images at all.",
        "Ask them to burn the disc again with a DICOMDIR that lists the images.",
        "DICOMDIR索引中没有列出任何影像。请重新刻录光盘。",
    )
}

// ---------------------------------------------------------------------------------------------------------------
// name: the texts outside the passport comparison (which are in names/messages.rs)

/// The name `name` is stored with a wrong or missing character set (no passport name to compare).
pub(crate) fn name_charset(name: &str) -> Texts {
    t(
        format!(
            "The patient name {name} is stored with a wrong or missing character set: other computers may show \
             it garbled."
        ),
        "Ask them to correct the name's character set and burn the disc again.",
        "患者姓名的字符集设置有误，其他电脑可能显示为乱码。请更正字符集后重新刻录光盘。",
    )
}

/// The request when the disc's only name `hanzi` is the Chinese transliteration of the foreign passport name
/// `passport` (the patient's own name in Chinese characters): nobody abroad can match it, so the passport name
/// `fix` is to be added in Latin letters.
pub(crate) fn transliterated_name(hanzi: &str, passport: &str, fix: &str) -> String {
    format!(
        "光盘中的患者姓名只有中文译名“{}”（即护照姓名 {} 的音译），国外医院无法识别。请补录护照上的英文姓名 {}。",
        zh_name(hanzi),
        zh_name(passport),
        zh_name(fix)
    )
}

/// No passport name was given.
pub(crate) fn no_passport_name(on_disc: &[String]) -> Texts {
    note(format!(
        "The name was not checked (--no-name): the disc holds {}.",
        people_on_disc(on_disc)
    ))
}

/// No passport name and no `--no-name`: whose scans these are was not checked.
pub(crate) fn name_not_checked(on_disc: &[String]) -> Texts {
    t(
        format!(
            "NAME NOT CHECKED: no passport name was given, so nothing says these are your scans. The disc holds \
             {}.",
            people_on_disc(on_disc)
        ),
        "Run the check again with your passport name: --name \"SURNAME^GIVEN NAMES\" (or --no-name for an \
         inventory).",
        // The user's to fix (run again with the passport name): no request to the staff.
        "",
    )
}

fn people_on_disc(on_disc: &[String]) -> String {
    if on_disc.is_empty() {
        "no patient name".to_string()
    } else {
        on_disc.join(", ")
    }
}

/// `n` of the person's `total` images carry no patient name.
pub(crate) fn unnamed_images(n: usize, total: usize) -> Texts {
    let which = if n == total {
        "None of the images on the disc carry a patient name".to_string()
    } else if n == 1 {
        "1 image on the disc carries no patient name".to_string()
    } else {
        format!("{n} images on the disc carry no patient name")
    };
    t(
        format!("{which}: nobody at home can tell whose scans they are."),
        "Ask them to add your passport name to the images and burn the disc again.",
        format!("光盘中有{n}张影像没有患者姓名。请按护照补录患者姓名后重新刻录光盘。"),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// patient: one person per disc

/// A person without any name, as messages show them.
pub(crate) const NO_NAME: &str = "(no name)";

/// One person and their studies: `SMITH^JOHN, ID P1: CT study 'Chest' of 2024-03-20; ...`.
pub(crate) fn person_studies(name: &str, id: Option<&str>, studies: &[&str]) -> String {
    let id = id.map(|id| format!(", ID {id}")).unwrap_or_default();
    format!("{name}{id}: {}", studies.join("; "))
}

/// The disc holds the studies of several people (`described` by [`person_studies`]); `others` are the names
/// that are not the passport holder's, when one of the people is.
pub(crate) fn several_people(
    count: usize,
    described: &[String],
    others: Option<&[String]>,
) -> Texts {
    let message = format!(
        "The disc holds scans of {count} different people — {}.",
        described.join(" — ")
    );
    match others {
        Some(names) => t(
            message,
            format!(
                "Ask them to take the other person's scans ({}) off the disc and burn only yours.",
                names.join(", ")
            ),
            format!(
                "光盘中还有其他患者（{}）的检查。请收回这张光盘，重新刻录一张只含本人检查的光盘。",
                names
                    .iter()
                    .map(|n| zh_name(n))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        ),
        None => t(
            message,
            "Ask them which scans are yours, and to burn a disc with only your scans.",
            "光盘中有不同患者的检查。请先核对哪些是本人的检查，再重新刻录一张只含本人检查的光盘。",
        ),
    }
}

/// Where a passport number was found: Patient ID.
pub(crate) const PATIENT_ID: &str = "Patient ID";
/// Where a passport number was found: Other Patient IDs.
pub(crate) const OTHER_PATIENT_IDS: &str = "Other Patient IDs";

/// `--passport` found on the disc.
pub(crate) fn passport_found(number: &str, places: &[&str]) -> Texts {
    note(format!(
        "The disc records the passport number {number} ({}).",
        places.join(", ")
    ))
}

/// `--passport` not on the disc.
pub(crate) fn passport_absent(number: &str) -> Texts {
    note(format!(
        "The passport number {number} does not appear on the disc (Patient ID, Other Patient IDs); records \
         abroad are matched by name and birth date instead."
    ))
}

/// The disc records another number as a passport number.
pub(crate) fn other_passport(id: &str, issuer: &str, number: &str) -> Texts {
    t(
        format!(
            "The disc records the passport number {id} (Patient ID, issued by \"{issuer}\"), not your passport \
             number {number}: these may be another person's scans."
        ),
        format!("Ask them whose passport {id} is, and to record your passport number {number}."),
        format!(
            "光盘中记录的护照号码为 {id}，与本人护照号码 {number} 不符，可能是他人的影像。请先核对是谁的护照号码，再更正为本人的护照号码。"
        ),
    )
}

/// The rest of a capped list of people.
pub(crate) fn and_more_people(n: usize) -> String {
    format!("and {} more", plural(n, "person", "people"))
}

/// A person only the DICOMDIR names (no image on the disc carries that identity).
pub(crate) fn person_in_dicomdir_only(name: &str, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("{name} (ID {id}), named only in the disc's index (DICOMDIR)"),
        None => format!("{name}, named only in the disc's index (DICOMDIR)"),
    }
}

/// Records that lack the value telling two persons apart (`described`: whose and which studies).
pub(crate) fn unattributable(described: &str, images: usize) -> Texts {
    t(
        format!(
            "The disc cannot say whose these records are: {described} ({}). They lack the patient ID, birth date \
             or full name that tells the people on the disc apart, and fit more than one of them.",
            plural(images, "image", "images")
        ),
        "Ask them which person these scans belong to, and to burn a disc with only your scans, each with your \
         full name, ID and birth date.",
        "光盘中部分记录缺少患者ID、出生日期或完整姓名，无法确定属于哪位患者。请先核对这些记录属于哪位患者，再重新刻录一张只含本人检查的光盘，每个检查都需有完整姓名、ID和出生日期。",
    )
}

/// One person's name is written in several ways (`names`, as shown).
pub(crate) fn name_spellings(names: &[String]) -> Texts {
    let quoted = |open: &str, close: &str, separator: &str| {
        names
            .iter()
            .map(|n| format!("{open}{n}{close}"))
            .collect::<Vec<_>>()
            .join(separator)
    };
    t(
        format!(
            "The disc writes the patient's name in {} ways: {}. Hospital systems at home may file them as \
             different patients.",
            names.len(),
            quoted("\"", "\"", ", ")
        ),
        "Ask them to correct the name so that every study writes it the same way.",
        format!(
            "同一患者在不同检查中的姓名写法不一致（{}）。请统一更正患者姓名。",
            names
                .iter()
                .map(|n| format!("“{}”", zh_name(n)))
                .collect::<Vec<_>>()
                .join("、")
        ),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// dob: the birth date

/// The disc gives no birth date for `who`.
pub(crate) fn birth_date_missing(who: &str, expected: StudyDate) -> Texts {
    t(
        format!("The disc gives no birth date for {who} (you gave {expected})."),
        "Ask them to add your birth date to the records, if they can.",
        format!("光盘中没有患者的出生日期（应为{expected}），如方便请补录。"),
    )
}

/// The disc gives the birth date `shown` for `who`, not `expected`.
pub(crate) fn birth_date_differs(who: &str, shown: &str, expected: StudyDate) -> Texts {
    t(
        format!("The disc gives the birth date {shown} for {who}, but you gave {expected}."),
        format!("Ask them to correct the birth date to {expected} and burn the disc again."),
        format!("光盘中的出生日期为{shown}，与护照上的{expected}不符。请更正后重新刻录光盘。"),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// date: study dates

/// How messages name a study: `CT study 'Chest' of 2024-03-20`, `MR/SR study`, `study`.
pub(crate) fn study_label(
    modalities: &[&str],
    description: Option<&str>,
    date: Option<StudyDate>,
) -> String {
    let mut label = if modalities.is_empty() {
        "study".to_string()
    } else {
        format!("{} study", modalities.join("/"))
    };
    if let Some(description) = description {
        label.push_str(&format!(" '{description}'"));
    }
    if let Some(date) = date {
        label.push_str(&format!(" of {date}"));
    }
    label
}

/// The study named for Chinese staff: `CT检查“CT CHEST”`, `检查“CT CHEST”`, `CT检查`, or `该检查`.
pub(crate) fn study_label_zh(modalities: &[&str], description: Option<&str>) -> String {
    match description {
        None if modalities.is_empty() => "该检查".to_string(),
        None => format!("{}检查", modalities.join("/")),
        Some(d) => format!("{}检查“{d}”", modalities.join("/")),
    }
}

/// The dates the images themselves carry, as a hint: `series date 2024-03-20, content date 2024-03-21`.
pub(crate) fn image_dates(
    series: Option<StudyDate>,
    acquisition: Option<StudyDate>,
    content: Option<StudyDate>,
) -> Option<String> {
    let hints: Vec<String> = [
        ("series date", series),
        ("acquisition date", acquisition),
        ("content date", content),
    ]
    .into_iter()
    .filter_map(|(name, date)| date.map(|d| format!("{name} {d}")))
    .collect();
    (!hints.is_empty()).then(|| hints.join(", "))
}

/// The study `label` has no valid study date: `raw` is what is written, if anything; `hint` the images' dates.
pub(crate) fn study_date_missing(
    label: &str,
    zh: &str,
    raw: Option<&str>,
    hint: Option<&str>,
) -> Texts {
    let mut message = match raw {
        Some(raw) => format!(
            "The {label} has an invalid study date ('{raw}'), so viewers cannot file it by date."
        ),
        None => format!("The {label} has no study date, so viewers cannot file it by date."),
    };
    if let Some(hint) = hint {
        message.push_str(&format!(" The images themselves are dated: {hint}."));
    }
    let ask_zh = if raw.is_some() {
        format!("{zh}的检查日期（Study Date）无效。请更正检查日期后重新刻录光盘。")
    } else {
        format!("{zh}缺少检查日期（Study Date）。请补全检查日期后重新刻录光盘。")
    };
    t(
        message,
        "Ask them to burn the study again with its study date filled in correctly.",
        ask_zh,
    )
}

/// The study `name` is dated `date`, after tomorrow.
pub(crate) fn study_date_future(name: &str, zh: &str, date: StudyDate) -> Texts {
    t(
        format!("The {name} is dated {date}, which is in the future."),
        "Ask them to check the study date.",
        format!("{zh}的检查日期（{date}）晚于今天。请核对检查日期。"),
    )
}

/// The study `name` is dated `date`, before 1900.
pub(crate) fn study_date_too_old(name: &str, zh: &str, date: StudyDate) -> Texts {
    t(
        format!("The {name} is dated {date}, before 1900, which cannot be right."),
        "Ask them to check the study date.",
        format!("{zh}的检查日期（{date}）早于1900年。请核对检查日期。"),
    )
}

/// The files of the study `label` give the study dates `dates`.
pub(crate) fn study_dates_differ(label: &str, zh: &str, dates: &[String]) -> Texts {
    t(
        format!(
            "The files of the {label} give different study dates: {}.",
            dates.join(", ")
        ),
        "Ask whether the disc mixes images from different days under one study.",
        format!("{zh}中各文件的检查日期不一致。请确认是否混入了其他日期的影像。"),
    )
}

/// A series without a number, in [`series_dated`].
pub(crate) const UNNUMBERED: &str = "unnumbered";

/// One date and the series dated so: `2024-06-01 (series 7, 8)`.
pub(crate) fn series_dated(date: StudyDate, series: &[String]) -> String {
    format!("{date} (series {})", series.join(", "))
}

/// The series of the study `label` are dated differently (`dates` from [`series_dated`]).
pub(crate) fn series_dates_differ(label: &str, zh: &str, dates: &[String]) -> Texts {
    t(
        format!(
            "The series of the {label} are dated differently: {}.",
            dates.join("; ")
        ),
        "Ask whether the study holds images from another day.",
        format!("{zh}中各序列的日期不一致。请确认是否混入了其他日期的影像。"),
    )
}

/// No study on the disc falls in `range`; `undated` studies have no date.
pub(crate) fn expected_date_missing(range: &DateRange, undated: usize) -> Texts {
    let (mut message, ask_zh) = if range.start == range.end {
        (
            format!("The scan from {range} is not on this disc."),
            format!("光盘中没有{range}的检查。请补充刻录该检查。"),
        )
    } else {
        (
            format!("No scan from {range} is on this disc."),
            format!(
                "光盘中没有{}至{}期间的检查。请补充刻录该期间的检查。",
                range.start, range.end
            ),
        )
    };
    match undated {
        0 => {}
        1 => message.push_str(" (1 study on the disc has no date; it may be the one.)"),
        n => message.push_str(&format!(
            " ({n} studies on the disc have no date; one of them may be it.)"
        )),
    }
    t(
        message,
        format!("Ask them to add the scan from {range} to the disc."),
        ask_zh,
    )
}

/// The study `label` is on the disc but from none of the dates given (`dated`), or has no date.
pub(crate) fn other_study(label: &str, dated: bool) -> Texts {
    note(if dated {
        format!("Also on this disc: the {label}, not from the date you gave.")
    } else {
        format!(
            "Also on this disc: the {label}; without a date it cannot be matched to the date you gave."
        )
    })
}

// ---------------------------------------------------------------------------------------------------------------
// slices: every series complete

/// How messages name a series: `series 3 CT 'Chest 1.25 mm'`, or without a number `the unnumbered OT series`
/// (a sentence can then start with it, and an ask name it: "Ask whether the unnumbered series was copied").
pub(crate) fn series_label(
    number: Option<i64>,
    modality: Option<&str>,
    description: Option<&str>,
) -> String {
    let mut label = match number {
        Some(number) => format!(
            "series {number}{}",
            modality.map(|m| format!(" {m}")).unwrap_or_default()
        ),
        None => format!(
            "the unnumbered {}series",
            modality.map(|m| format!("{m} ")).unwrap_or_default()
        ),
    };
    if let Some(description) = description {
        label.push_str(&format!(" '{description}'"));
    }
    label
}

/// The series named for Chinese staff: `CT序列3“Chest”`, `序列“Chest”`, or `该序列`.
pub(crate) fn series_label_zh(
    number: Option<i64>,
    modality: Option<&str>,
    description: Option<&str>,
) -> String {
    if number.is_none() && description.is_none() {
        return "该序列".to_string();
    }
    let number = number.map(|n| n.to_string()).unwrap_or_default();
    let description = description.map(|d| format!("“{d}”")).unwrap_or_default();
    format!("{}序列{number}{description}", modality.unwrap_or_default())
}

/// What to ask when the series `label` lacks images.
fn burn_series_complete(message: String, label: &str, zh: &str) -> Texts {
    t(
        message,
        format!("Ask them to burn {label} again with all its images."),
        format!("{zh}缺少部分影像。请重新刻录该序列的全部影像。"),
    )
}

/// What to ask when the series `label` may be incomplete; `why_zh` says why in Chinese.
fn ask_if_complete(message: String, label: &str, why_zh: String) -> Texts {
    t(message, format!("Ask whether {label} is complete."), why_zh)
}

/// `n` files of the series share an image ID but differ.
pub(crate) fn same_uid_different_images(label: &str, zh: &str, n: usize) -> Texts {
    t(
        format!(
            "{} has {n} files that carry the same image ID but different content, so viewers \
             will keep only one of them.",
            capitalized(label)
        ),
        format!("Ask them to export {label} again; different images share one ID."),
        format!(
            "{zh}中有不同的影像使用了同一个影像标识（SOP Instance UID）。请重新导出并刻录该序列。"
        ),
    )
}

/// `extra` files of the series are identical copies of others.
pub(crate) fn identical_copies(label: &str, zh: &str, extra: usize) -> Texts {
    let copies = if extra == 1 {
        "1 file is an identical copy".to_string()
    } else {
        format!("{extra} files are identical copies")
    };
    t(
        format!(
            "{} holds the same image more than once ({copies}); nothing is lost.",
            capitalized(label)
        ),
        format!("Ask whether {label} was copied twice by mistake."),
        format!("{zh}中有重复的影像文件。请确认刻录是否有误。"),
    )
}

/// The series has `have` files, the DICOMDIR lists `listed`.
pub(crate) fn fewer_than_dicomdir(label: &str, zh: &str, have: usize, listed: usize) -> Texts {
    burn_series_complete(
        format!(
            "{} has {}, but the disc's index (DICOMDIR) lists {listed} for it.",
            capitalized(label),
            files(have)
        ),
        label,
        zh,
    )
}

/// The series has `have` images, the scanner recorded `declared` in the acquisition.
pub(crate) fn fewer_than_acquisition(label: &str, zh: &str, have: u64, declared: i64) -> Texts {
    burn_series_complete(
        format!(
            "{} has {}, but the scanner recorded {declared} images in this acquisition.",
            capitalized(label),
            plural(have as usize, "image", "images")
        ),
        label,
        zh,
    )
}

/// What an object is, when it is not a slice of a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ObjectKind {
    /// The overview image used to plan the scan.
    Localizer,
    /// A screen capture.
    SecondaryCapture,
    /// A radiation dose report.
    DoseReport,
    /// A structured report or key-image note.
    Report,
    /// Saved display settings.
    PresentationState,
    /// An encapsulated document (PDF, ...).
    Document,
    /// Anything else without an image.
    OtherObject,
}

/// `n` objects of `kind`: `1 screen capture`, `3 radiation dose reports`.
pub(crate) fn objects(kind: ObjectKind, n: usize) -> String {
    let (one, many) = match kind {
        ObjectKind::Localizer => (
            "localizer image (the overview used to plan the scan)",
            "localizer images (the overviews used to plan the scan)",
        ),
        ObjectKind::SecondaryCapture => ("screen capture", "screen captures"),
        ObjectKind::DoseReport => ("radiation dose report", "radiation dose reports"),
        ObjectKind::Report => (
            "structured report or key-image note",
            "structured reports or key-image notes",
        ),
        ObjectKind::PresentationState => ("saved display setting", "saved display settings"),
        ObjectKind::Document => ("document", "documents"),
        ObjectKind::OtherObject => ("non-image object", "non-image objects"),
    };
    plural(n, one, many)
}

/// The series holds only `objects` (from [`objects`]), no stack of slices.
pub(crate) fn not_a_stack(label: &str, objects: &[String]) -> Texts {
    note(format!(
        "{} holds {}: not a stack of slices, so it is not checked for missing slices.",
        capitalized(label),
        objects.join(", ")
    ))
}

/// The series has no image on the disc.
pub(crate) fn series_empty(label: &str, zh: &str) -> Texts {
    t(
        format!("{} has no image on the disc.", capitalized(label)),
        format!("Ask them to burn {label} again."),
        format!("{zh}在光盘上没有任何影像。请重新刻录该序列。"),
    )
}

/// None of the series' images can be read.
pub(crate) fn series_unreadable(label: &str, zh: &str) -> Texts {
    t(
        format!("{} has no image that can be read.", capitalized(label)),
        format!("Ask them to burn {label} again; none of its images can be read."),
        format!("{zh}的影像全部无法读取。请重新刻录该序列。"),
    )
}

/// A multi-frame image at `path` holds `held` of its `declared` frames.
pub(crate) fn frames_missing(label: &str, zh: &str, held: u64, declared: u64, path: &str) -> Texts {
    t(
        format!(
            "A multi-frame image of {label} holds only {held} of its {declared} frames ({path})."
        ),
        format!("Ask them to burn {label} again; an image is missing frames."),
        format!("{zh}中的多帧影像缺少部分帧。请重新刻录该序列。"),
    )
}

/// A multi-frame image gives `positions` slice positions for `declared` frames.
pub(crate) fn frame_positions_differ(
    label: &str,
    zh: &str,
    positions: u64,
    declared: u64,
) -> Texts {
    ask_if_complete(
        format!(
            "A multi-frame image of {label} gives slice positions for {} but says it has {declared}.",
            plural(positions as usize, "frame", "frames")
        ),
        label,
        format!("请确认{zh}是否完整（多帧影像的层面位置数与帧数不符）。"),
    )
}

/// One gap in plain words, named by the image numbers either side when known: `about 2 slices missing between
/// images 20 and 23`.
pub(crate) fn gap(missing: u64, below: Option<i64>, above: Option<i64>) -> String {
    let slices = if missing == 1 { "slice" } else { "slices" };
    match (below, above) {
        (Some(a), Some(b)) if a != b => {
            format!(
                "about {missing} {slices} missing between images {} and {}",
                a.min(b),
                a.max(b)
            )
        }
        _ => format!("about {missing} {slices} missing"),
    }
}

/// Where one gap lies, for `--verbose`: `z = -27.5 to -23.75 mm`.
pub(crate) fn gap_at(axis: &str, low: &str, high: &str) -> String {
    format!("{axis} = {low} to {high} mm")
}

/// The series has gaps (`gaps`, from [`gap`], of `all_gaps` in all, about `total` slices, lying at `positions`
/// from [`gap_at`]); `numbers` lists the missing image numbers (from [`numbers`]) when there are.
pub(crate) fn gaps(
    label: &str,
    zh: &str,
    gaps: &[String],
    positions: &[String],
    all_gaps: usize,
    total: u64,
    numbers: Option<&str>,
) -> Texts {
    let mut message = format!("{} is incomplete: {}", capitalized(label), gaps.join("; "));
    if all_gaps > gaps.len() {
        message.push_str(&format!("; and {} more gaps", all_gaps - gaps.len()));
    }
    message.push('.');
    if all_gaps > 1 {
        message.push_str(&format!(" About {total} slices are missing in all."));
    }
    if let Some(numbers) = numbers {
        message.push_str(&format!(" Image numbers missing: {numbers}."));
    }
    let mut texts = burn_series_complete(message, label, zh);
    if !positions.is_empty() {
        texts.detail = format!(
            "Slice positions (either side of each gap, or where images are short): {}.",
            positions.join("; ")
        );
    }
    texts
}

/// `slice group 2 of 5`: one of several stacks in a series (angled groups, separate blocks).
pub(crate) fn slice_group(index: usize, of: usize) -> String {
    format!("slice group {index} of {of}")
}

/// A problem placed in its slice group, when the series has several.
pub(crate) fn in_group(group: Option<&str>, problem: String) -> String {
    match group {
        Some(group) => format!("in {group}, {problem}"),
        None => problem,
    }
}

/// A position of a series whose positions repeat holds `missing` images fewer than the others (`per_position`):
/// `1 image missing at slice position 12 of 30 (the others hold 65 images each): the one of volume 5 of 65
/// (b-value 1000)`.
pub(crate) fn short_position(
    missing: usize,
    index: usize,
    positions: usize,
    per_position: usize,
    volumes: &[String],
) -> String {
    let images = if missing == 1 { "image" } else { "images" };
    format!(
        "{missing} {images} missing at slice position {index} of {positions} (the others hold {per_position} \
         images each){}",
        which_volumes(volumes)
    )
}

/// `: the one of volume 5 of 65`, `: those of …; … and 2 more`, or nothing.
fn which_volumes(volumes: &[String]) -> String {
    match volumes {
        [] => String::new(),
        [one] => format!(": the one of {one}"),
        many => {
            let shown: Vec<&str> = many.iter().take(3).map(String::as_str).collect();
            let mut text = format!(": those of {}", shown.join("; "));
            if many.len() > 3 {
                text.push_str(&format!(" and {} more", many.len() - 3));
            }
            text
        }
    }
}

/// Where a short position lies, for `--verbose`: `z = -72.1 mm: the one of volume 5 of 65 (b-value 1000,
/// direction (0.71, 0.71, 0))`.
pub(crate) fn short_position_at(axis: &str, at: &str, volumes: &[String]) -> String {
    format!("{axis} = {at} mm{}", which_volumes(volumes))
}

/// Whole volumes of a series are missing: image numbers `images` (the list from [`numbers`] and how many), where
/// the volume numbers skip `volumes` (what they number, the list, how many); `mosaic` when each file is a volume.
pub(crate) fn volumes_missing(
    label: &str,
    zh: &str,
    images: (&str, u64),
    volumes: (&str, &str, u64),
    mosaic: bool,
) -> Texts {
    let (numbers, n) = images;
    let (what, skipped, m) = volumes;
    let what_images = if n == 1 {
        format!("image {numbers} is missing")
    } else {
        format!("images {numbers} are missing")
    };
    let layout = if mosaic {
        "Each image of this series is a whole volume (a mosaic of all its slices)"
    } else {
        "The volumes of this series repeat the same slice positions"
    };
    let lost = if m == 1 {
        format!("{what} {skipped} is missing too")
    } else {
        format!("{what}s {skipped} are missing too")
    };
    burn_series_complete(
        format!(
            "{} is incomplete: {what_images}. {layout}, and {lost}: whole volumes were lost.",
            capitalized(label)
        ),
        label,
        zh,
    )
}

/// The positions of a series that repeats them hold uneven numbers of images, in a way lost files do not explain.
pub(crate) fn uneven_repeats(label: &str, zh: &str) -> Texts {
    ask_if_complete(
        format!(
            "{}: its slice positions hold uneven numbers of images (several volumes that do not all cover the \
             same range), so missing images cannot be ruled out.",
            capitalized(label)
        ),
        label,
        format!("请确认{zh}是否完整（各层面的影像数量不一致）。"),
    )
}

/// The series' slice spacing is irregular.
pub(crate) fn irregular_spacing(label: &str, zh: &str) -> Texts {
    ask_if_complete(
        format!(
            "{}: the spacing between slices is irregular (or the slices form separate blocks), so missing slices \
             cannot be ruled out.",
            capitalized(label)
        ),
        label,
        format!("请确认{zh}是否完整（层间距不规则）。"),
    )
}

/// Image numbers listed: `#57, #58 and 3 more` (`shown` of `total`), three or more in a row as a range
/// (`#19 to #82`).
pub(crate) fn numbers(shown: &[i64], total: u64) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&first) = shown.get(i) {
        let mut last = i;
        while shown
            .get(last + 1)
            .is_some_and(|&n| Some(n) == shown[last].checked_add(1))
        {
            last += 1;
        }
        if last >= i + 2 {
            parts.push(format!("#{first} to #{}", shown[last]));
            i = last + 1;
        } else {
            parts.push(format!("#{first}"));
            i += 1;
        }
    }
    let mut text = parts.join(", ");
    if total > shown.len() as u64 {
        text.push_str(&format!(" and {} more", total - shown.len() as u64));
    }
    text
}

/// What the slice positions say about odd image numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PositionEvidence {
    /// The images carry no positions.
    None,
    /// The positions are irregular.
    Irregular,
    /// The positions show no gap.
    NoGap,
}

/// Image numbers are missing (`missing`: the list from [`numbers`] and how many) or used twice (`duplicates`
/// likewise), and the slice positions say `evidence`.
pub(crate) fn odd_numbering(
    label: &str,
    zh: &str,
    missing: Option<(&str, u64)>,
    duplicates: Option<(&str, usize)>,
    evidence: PositionEvidence,
) -> Texts {
    let mut problems = Vec::new();
    if let Some((list, n)) = missing {
        problems.push(if n == 1 {
            format!("image number {list} is missing")
        } else {
            format!("image numbers {list} are missing")
        });
    }
    if let Some((list, n)) = duplicates {
        problems.push(if n == 1 {
            format!("image number {list} is used more than once")
        } else {
            format!("image numbers {list} are used more than once")
        });
    }
    let context = match evidence {
        PositionEvidence::None => {
            "the images carry no slice positions to confirm whether any are lost"
        }
        PositionEvidence::Irregular => {
            "the irregular slice positions cannot confirm whether any are lost"
        }
        PositionEvidence::NoGap => {
            "the slice positions show no gap, so this is probably only how the scanner numbered the images"
        }
    };
    ask_if_complete(
        format!(
            "{}: {}; {context}.",
            capitalized(label),
            problems.join(" and ")
        ),
        label,
        format!("请确认{zh}是否完整（影像编号不连续或有重复）。"),
    )
}

#[cfg(not(target_arch = "wasm32"))] // the images phase is not built for the browser
/// `n` files of the series `label` hold images that do not open (damaged compressed data, wrong size, missing
/// frames, a decoder that gave up).
pub(crate) fn images_damaged(n: usize, label: &str, zh: &str) -> Texts {
    t(
        format!(
            "{} of {label} {} images that do not open: the image data is damaged.",
            capitalized(&files(n)),
            if n == 1 { "has" } else { "have" }
        ),
        REBURN,
        format!("{zh}有{n}个文件的影像已损坏，无法打开。请重新刻录光盘。"),
    )
}

#[cfg(not(target_arch = "wasm32"))] // the images phase is not built for the browser
/// `n` files of the series `label` could not be read to their end: the disc itself is damaged.
pub(crate) fn images_read_error(n: usize, label: &str, zh: &str) -> Texts {
    t(
        format!(
            "{} of {label} could not be read to the end (read error): the disc itself is damaged \
             (scratched or badly burned).",
            capitalized(&files(n))
        ),
        NEW_DISC,
        format!(
            "{zh}有{n}个文件读到中途出错（读盘错误），光盘本身已损坏（划痕或刻录不良）。{NEW_DISC_ZH}"
        ),
    )
}

#[cfg(not(target_arch = "wasm32"))] // the images phase is not built for the browser
/// `n` files of the series `label` hold a frame that is one flat value while the series' other frames are not.
pub(crate) fn images_blank(n: usize, label: &str, zh: &str) -> Texts {
    t(
        format!(
            "{} of {label} {} a blank image (every pixel the same) while the other images are not.",
            capitalized(&files(n)),
            if n == 1 { "has" } else { "have" }
        ),
        "Ask them to open this series and check that no image is empty; burn the disc again if one is.",
        format!(
            "{zh}有{n}个文件的影像是空白的（所有像素相同），而同序列其他影像正常。请打开该序列确认，如有空白影像请重新刻录光盘。"
        ),
    )
}

#[cfg(not(target_arch = "wasm32"))] // the images phase is not built for the browser
/// `n` files of the series `label` use a compression (`names`) this tool cannot decode.
pub(crate) fn images_not_decoded(n: usize, label: &str, zh: &str, names: &[&str]) -> Texts {
    t(
        format!(
            "{} of {label} could not be opened here: {} (some viewers cannot open {} either).",
            capitalized(&files(n)),
            names.join(", "),
            them(n)
        ),
        "Ask them to open this series on their workstation to confirm it displays, or to export it uncompressed.",
        format!(
            "{zh}有{n}个文件的压缩格式本工具无法解码，部分阅片软件也可能无法打开。请在工作站上打开该序列确认能正常显示，或以不压缩格式导出。"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text with sample arguments, grouped by check and named by situation (what `docs/staff-notes.md`
    /// lists).
    fn catalogue() -> Vec<(&'static str, Vec<(&'static str, Texts)>)> {
        let d = StudyDate::new(2024, 3, 20).expect("date");
        let range = DateRange::day(d);
        let span = DateRange {
            start: d,
            end: StudyDate::new(2024, 3, 24).expect("date"),
        };
        let (l, z) = ("series 3 CT 'Chest'", "CT序列3“Chest”");
        let people = [
            "SMITH^JOHN, ID P1: CT study".to_string(),
            "LI^SI, ID P2: MR study".to_string(),
        ];
        vec![
            (
                "media",
                vec![
                    ("empty disc", media_empty()),
                    ("every image file unreadable", media_all_damaged(2)),
                    ("only a cloud-film link", media_cloud_film()),
                    ("only pictures or PDFs", media_pictures_only()),
                    ("only a viewer program", media_viewer_only()),
                    ("no DICOM file", media_no_dicom(2)),
                ],
            ),
            (
                "integrity",
                vec![
                    ("zero-byte files", empty_files(2)),
                    ("files named like images that are not DICOM", junk_files(2)),
                    ("files cut short", truncated_files(2)),
                    ("read errors", unreadable_files(2)),
                    ("damaged files", damaged_files(2)),
                    ("private encoding", unknown_encoding(2, &["1.2.3", "1.2.4"])),
                    (
                        "uncommon compression",
                        unusual_compression(2, &["HTJ2K", "JPEG-LS"]),
                    ),
                    ("unreadable folders", unreadable_entries(2)),
                    ("archive entries refused", archive_refused(2)),
                ],
            ),
            (
                "dicomdir",
                vec![
                    ("no DICOMDIR", no_dicomdir()),
                    ("damaged DICOMDIR", dicomdir_damaged("bad")),
                    ("images not listed", unlisted_images(2)),
                    ("listed files missing", listed_files_missing(2)),
                    ("listed outside the disc", listed_outside(2)),
                    ("UIDs differ", listed_uids_differ(2)),
                    (
                        "patient name differs",
                        listed_name_differs("SMITH^JOHN", "SMITH^J"),
                    ),
                    ("broken links", dicomdir_links_broken()),
                    ("stale length", dicomdir_length_overrun()),
                    ("lists nothing", dicomdir_lists_nothing()),
                ],
            ),
            (
                "name (outside the passport comparison)",
                vec![
                    ("wrong character set", name_charset("ZHANG^SAN")),
                    ("images without a name", unnamed_images(2, 3)),
                    (
                        "records that fit more than one person",
                        unattributable("SMITH^JOHN, CT study", 2),
                    ),
                    (
                        "another passport number recorded",
                        other_passport("E1234", "PASSPORT", "G7654"),
                    ),
                    (
                        "only the Chinese transliteration of a foreign passport name",
                        t(
                            "The disc has only a Chinese name 史密斯·约翰; it reads like a Chinese transliteration of a \
                             foreign name.",
                            "Ask the staff to add the passport name in Latin letters: SMITH^JOHN.",
                            transliterated_name("史密斯·约翰", "SMITH JOHN", "SMITH^JOHN"),
                        ),
                    ),
                ],
            ),
            (
                "patient",
                vec![
                    (
                        "several people, none known to be the patient",
                        several_people(2, &people, None),
                    ),
                    (
                        "several people, the others named",
                        several_people(2, &people, Some(&["LI^SI".into()])),
                    ),
                    (
                        "one person written in several ways",
                        name_spellings(&["ZHANG^SAN".into(), "张^三".into()]),
                    ),
                ],
            ),
            (
                "dob",
                vec![
                    ("birth date missing", birth_date_missing("SMITH^JOHN", d)),
                    (
                        "birth date differs",
                        birth_date_differs("SMITH^JOHN", "1980-01-01", d),
                    ),
                ],
            ),
            (
                "date",
                vec![
                    (
                        "invalid study date",
                        study_date_missing(
                            "CT study",
                            "CT检查",
                            Some("x"),
                            Some("series date 2024-03-20"),
                        ),
                    ),
                    (
                        "no study date",
                        study_date_missing("CT study", "CT检查", None, None),
                    ),
                    (
                        "date in the future",
                        study_date_future("CT study", "CT检查", d),
                    ),
                    (
                        "date before 1900",
                        study_date_too_old("CT study", "CT检查", d),
                    ),
                    (
                        "files disagree on the date",
                        study_dates_differ("CT study", "CT检查", &["a".into(), "b".into()]),
                    ),
                    (
                        "series disagree on the date",
                        series_dates_differ("CT study", "CT检查", &["a".into(), "b".into()]),
                    ),
                    ("expected day missing", expected_date_missing(&range, 2)),
                    ("expected period missing", expected_date_missing(&span, 0)),
                ],
            ),
            (
                "slices",
                vec![
                    (
                        "same ID, different images",
                        same_uid_different_images(l, z, 2),
                    ),
                    ("identical copies", identical_copies(l, z, 2)),
                    (
                        "fewer files than the DICOMDIR lists",
                        fewer_than_dicomdir(l, z, 3, 4),
                    ),
                    (
                        "fewer images than the acquisition",
                        fewer_than_acquisition(l, z, 3, 4),
                    ),
                    ("series without image", series_empty(l, z)),
                    ("series unreadable", series_unreadable(l, z)),
                    ("frames missing", frames_missing(l, z, 1, 2, "IM1")),
                    (
                        "frame positions disagree",
                        frame_positions_differ(l, z, 1, 2),
                    ),
                    (
                        "gap in the slices",
                        gaps(
                            l,
                            z,
                            &[gap(2, Some(4), Some(7))],
                            &[gap_at("z", "1.0", "4.0")],
                            1,
                            2,
                            Some("#5"),
                        ),
                    ),
                    (
                        "images missing at one position of a repeating series",
                        gaps(
                            l,
                            z,
                            &[in_group(
                                Some(&slice_group(2, 3)),
                                short_position(1, 7, 12, 7, &["echo 2".into()]),
                            )],
                            &[],
                            1,
                            1,
                            None,
                        ),
                    ),
                    ("irregular spacing", irregular_spacing(l, z)),
                    ("uneven images per position", uneven_repeats(l, z)),
                    (
                        "mosaic volumes missing",
                        volumes_missing(l, z, ("#2", 1), ("acquisition", "#2", 1), true),
                    ),
                    (
                        "time points missing",
                        volumes_missing(
                            l,
                            z,
                            ("#13 and 11 more", 12),
                            ("time point", "#2", 1),
                            false,
                        ),
                    ),
                    (
                        "odd numbering",
                        odd_numbering(l, z, Some(("#5", 1)), None, PositionEvidence::NoGap),
                    ),
                ],
            ),
            (
                "images",
                vec![
                    ("images that do not open", images_damaged(2, l, z)),
                    (
                        "read error inside the image data",
                        images_read_error(2, l, z),
                    ),
                    ("a blank image", images_blank(1, l, z)),
                    (
                        "compression not decoded here",
                        images_not_decoded(2, l, z, &["JPEG XL"]),
                    ),
                ],
            ),
        ]
    }

    /// Every request in Chinese, with sample arguments.
    fn all_texts() -> Vec<Texts> {
        let mut texts: Vec<Texts> = catalogue()
            .into_iter()
            .flat_map(|(_, group)| group.into_iter().map(|(_, t)| t))
            .collect();
        for n in [1, 2] {
            texts.extend([
                media_all_damaged(n),
                media_no_dicom(n),
                empty_files(n),
                junk_files(n),
                truncated_files(n),
                unreadable_files(n),
                damaged_files(n),
                unreadable_entries(n),
                unlisted_images(n),
                listed_files_missing(n),
                listed_outside(n),
                listed_uids_differ(n),
                unnamed_images(n, 3),
            ]);
        }
        texts
    }

    /// `docs/staff-notes.md`: every request to the counter staff, so that a Chinese reader can review them in
    /// one place.
    fn staff_notes_markdown() -> String {
        use std::fmt::Write as _;
        let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
        let mut doc = String::from(
            "# What dicomcheck asks the counter staff\n\n\
             Generated from the code (`src/checks/wording.rs`, `src/names/messages.rs`) by the test \
             `staff_notes_doc_is_in_sync`; regenerate with `DICOMCHECK_BLESS=1 cargo test --lib staff_notes`. \
             Sample values stand in for the disc's names, dates and series.\n\n\
             ## How a note is put together\n\n\
             The note opens with a greeting naming the medium, then what staff need to find the exam in their \
             system (the patient as on the disc with the patient ID, the exams' dates and modalities), then one \
             numbered request per problem. On a disc that passed, the requests are favours, marked 如方便.\n\n",
        );
        let _ = writeln!(
            doc,
            "| medium | greeting (problems) | greeting (passed, optional requests) |"
        );
        let _ = writeln!(doc, "|---|---|---|");
        for medium in [
            Medium::Optical,
            Medium::Usb,
            Medium::Download,
            Medium::Folder,
        ] {
            let _ = writeln!(
                doc,
                "| {} | {} | {} |",
                medium_en(medium),
                note_greeting_zh(medium, false),
                note_greeting_zh(medium, true)
            );
        }
        let people = [
            ("SMITH^JOHN".to_string(), Some("H2026-0042".to_string())),
            ("LI^SI".to_string(), None),
        ];
        let _ = writeln!(
            doc,
            "\nThen, for example:\n\n    {}\n    {}\n    1. …\n    2. {}\n",
            note_patients_zh(Medium::Optical, &people),
            note_exams_zh(&[
                note_exam(Some("2026-11-18"), "MR", Some("A2026-0117"), true),
                note_exam(None, "CT", None, true)
            ]),
            optional_zh("光盘中没有患者的出生日期（应为1980-04-02），请补录。")
        );
        let _ = writeln!(
            doc,
            "A problem only the patient can fix (a download cut short, no access to the disc on the laptop) \
             never appears in the note.\n"
        );
        for (check, group) in catalogue() {
            let _ = writeln!(
                doc,
                "## `{check}`\n\n| situation | English (for the patient) | 中文（给工作人员） |\n|---|---|---|"
            );
            for (situation, texts) in group {
                let _ = writeln!(
                    doc,
                    "| {situation} | {} | {} |",
                    cell(&texts.message),
                    cell(&zh_sentence(&texts.ask_zh))
                );
            }
            doc.push('\n');
        }
        let _ = writeln!(
            doc,
            "## `name` (passport comparison)\n\n\
             | on the disc | passport | English (for the patient) | 中文（给工作人员） |\n|---|---|---|---|"
        );
        for (disc, passport) in [
            ("SMITH^JOHN", "SMITH^JOHN"),
            ("JOHN^SMITH", "SMITH^JOHN"),
            ("SMITH^J", "SMITH^JOHN"),
            ("SMITH", "SMITH^JOHN"),
            ("SMITH^JOHN PAUL", "SMITH^JOHN"),
            ("SMYTH^JOHN", "SMITH^JOHN"),
            ("LI^SI", "SMITH^JOHN"),
            ("史密斯^约翰", "SMITH^JOHN"),
            ("约翰·史密斯", "SMITH^JOHN"),
            ("约翰·布朗", "SMITH^JOHN"),
            ("张三", "ZHANG^SAN"),
            ("张三", "SMITH^JOHN"),
            ("UNKNOWN", "SMITH^JOHN"),
            ("SM\u{0406}TH^JOHN", "SMITH^JOHN"),
            ("SMITH^JO\u{200B}HN", "SMITH^JOHN"),
            (
                "\u{0418}\u{0412}\u{0410}\u{041D}\u{041E}\u{0412}^\u{0418}\u{0412}\u{0410}\u{041D}",
                "IVANOV^IVAN",
            ),
            (
                "\u{041F}\u{0415}\u{0422}\u{0420}\u{041E}\u{0412}^\u{0418}\u{0412}\u{0410}\u{041D}",
                "IVANOV^IVAN",
            ),
            ("", "SMITH^JOHN"),
        ] {
            let verdict = crate::names::match_name(
                &crate::charset::DecodedText {
                    text: disc.to_string(),
                    decoding: crate::charset::Decoding::Declared,
                },
                &crate::names::PassportName::parse(passport).expect("passport"),
                None,
            );
            let _ = writeln!(
                doc,
                "| `{}` | `{passport}` | {} | {} |",
                if disc.is_empty() {
                    "(empty)".to_string()
                } else {
                    // Invisible characters shown by code point.
                    disc.chars()
                        .map(|c| {
                            if c.is_alphanumeric() || " ^=·".contains(c) {
                                c.to_string()
                            } else {
                                format!("<U+{:04X}>", u32::from(c))
                            }
                        })
                        .collect()
                },
                cell(&verdict.message),
                cell(&zh_sentence(&verdict.ask_zh))
            );
        }
        doc
    }

    #[test]
    fn staff_notes_doc_is_in_sync() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/staff-notes.md");
        let expected = staff_notes_markdown();
        if std::env::var_os("DICOMCHECK_BLESS").is_some() {
            std::fs::write(&path, &expected).expect("write docs/staff-notes.md");
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/staff-notes.md is out of date: run DICOMCHECK_BLESS=1 cargo test --lib staff_notes"
        );
    }

    #[test]
    fn names_inside_chinese_sentences_lose_separators_and_pinyin() {
        assert_eq!(zh_name("SMITH^JOHN"), "SMITH JOHN");
        assert_eq!(zh_name("张^三 (zhang san)"), "张三");
        assert_eq!(zh_name("ZHANG^SAN = 张^三 (zhang san)"), "ZHANG SAN = 张三");
        assert_eq!(zh_name("史密斯^约翰"), "史密斯约翰");
        assert_eq!(zh_name("ИВАНОВ^ИВАН"), "ИВАНОВ ИВАН");
        assert_eq!(zh_name("A (B)"), "A (B)");
        assert_eq!(
            zh_sentence("光盘中姓名只有汉字“张三”（zhāng sān），请补录 ZHANG^SAN。"),
            "光盘中姓名只有汉字“张三”，请补录 ZHANG SAN。"
        );
        assert_eq!(zh_sentence("（共2个）（0字节）"), "（共2个）（0字节）");
    }

    #[test]
    fn no_request_asks_to_delete_and_staff_terms_are_used() {
        for texts in all_texts() {
            let zh = &texts.ask_zh;
            assert!(!zh.contains("删除"), "never ask to delete: {zh}");
            assert!(!zh.contains("看图软件"), "阅片软件: {zh}");
            assert!(!zh.contains('^'), "no DICOM separator: {zh}");
        }
        let mixed = several_people(2, &["A: x".into(), "B: y".into()], None).ask_zh;
        assert!(mixed.contains("请先核对"), "verify first: {mixed}");
    }

    #[test]
    fn every_request_is_a_polite_chinese_sentence_with_full_width_punctuation() {
        for texts in all_texts() {
            let zh = &texts.ask_zh;
            assert!(
                !texts.message.is_empty() && !texts.ask.is_empty(),
                "{texts:?}"
            );
            assert!(zh.ends_with('。'), "ends with 。: {zh}");
            assert!(zh.contains('请'), "a request: {zh}");
            for ascii in [", ", ". ", ";", ":", "(", ")", "!", "?", "\"", "'"] {
                assert!(!zh.contains(ascii), "ASCII {ascii:?} in {zh}");
            }
            assert!(!zh.contains("图像"), "影像, not 图像: {zh}");
            assert!(texts.ask.starts_with("Ask"), "{texts:?}");
            assert!(texts.message.ends_with(['.', ')']), "{texts:?}");
        }
    }

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(
            truncated_files(1).message,
            "1 file is cut short: the disc was not burned completely."
        );
        assert!(
            truncated_files(2)
                .message
                .starts_with("2 files are cut short")
        );
        assert!(
            unknown_encoding(1, &["1.2.3"])
                .message
                .starts_with("1 file uses ")
        );
        assert!(
            unnamed_images(1, 3)
                .message
                .starts_with("1 image on the disc carries no")
        );
        assert!(
            expected_date_missing(
                &DateRange::day(StudyDate::new(2024, 3, 20).expect("date")),
                2
            )
            .message
            .contains("2 studies on the disc have no date")
        );
        assert!(listed_outside(1).message.contains("it was not opened"));
        assert_eq!(
            numbers(&[2, 3, 5, 6, 7, 8, 10], 9),
            "#2, #3, #5 to #8, #10 and 2 more"
        );
        assert!(
            short_position(2, 1, 3, 4, &[])
                .starts_with("2 images missing at slice position 1 of 3")
        );
        assert!(
            short_position(1, 1, 3, 4, &["echo 2".into(), "echo 3".into()])
                .ends_with(": those of echo 2; echo 3")
        );
        assert!(
            volumes_missing("series 1", "序列1", ("#2, #3", 2), ("acquisition", "#2, #3", 2), true)
                .message
                .contains("images #2, #3 are missing. Each image of this series is a whole volume (a mosaic of all \
                           its slices), and acquisitions #2, #3 are missing too")
        );
    }

    #[test]
    fn labels_name_what_they_know() {
        assert_eq!(
            series_label(Some(3), Some("CT"), Some("Chest 1.25 mm")),
            "series 3 CT 'Chest 1.25 mm'"
        );
        assert_eq!(series_label(None, None, None), "the unnumbered series");
        assert_eq!(
            note_patients_zh(Medium::Usb, &[(NO_NAME.to_string(), None)]),
            "U盘上的患者：无姓名（无患者ID）"
        );
        assert_eq!(
            series_label(None, Some("OT"), Some("Scan")),
            "the unnumbered OT series 'Scan'"
        );
        assert_eq!(
            series_label_zh(Some(3), Some("CT"), Some("Chest 1.25 mm")),
            "CT序列3“Chest 1.25 mm”"
        );
        assert_eq!(series_label_zh(None, Some("CT"), None), "该序列");
        assert_eq!(
            study_label_zh(&["CT"], Some("CT CHEST")),
            "CT检查“CT CHEST”"
        );
        assert_eq!(study_label_zh(&[], Some("CT CHEST")), "检查“CT CHEST”");
        assert_eq!(study_label_zh(&["CT", "SR"], None), "CT/SR检查");
        assert_eq!(study_label_zh(&[], None), "该检查");
        assert_eq!(numbers(&[5, 6], 4), "#5, #6 and 2 more");
        assert_eq!(capitalized("series 3"), "Series 3");
    }
}
