//! The finalised minutes as a PDF for the case file: PDF 1.4 written by hand, A4, the standard
//! Helvetica fonts in WinAnsi encoding (every PDF reader has them; nothing is embedded), the
//! same text as the HTML record, and on every page the SHA-256 of the record's content and the
//! page number. Made once, when the minutes are finalised, and stored: the same record always
//! gives the same bytes (no clock, no random id in the file).

use super::render::{attendance_lines, held_facts, owner, when};
use super::view::{ActionLine, MinutesView};
use crate::i18n::{Lang, t};
use std::fmt::Write;

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
/// Body text stops here; below is the footer.
const BOTTOM: f32 = 78.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    fn name(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }
}

/// What the document says, before it is cut into lines and pages.
#[derive(Debug, Clone)]
enum Block {
    Title(String),
    /// A heading: level 2 (a section) or 3 (within one).
    Heading(u8, String),
    Paragraph(String),
    Strong(String),
    /// A label and its value on one line ("Gemeente: Dordrecht").
    Fact(String, String),
    Bullet(String),
    Gap,
}

/// The PDF of `minutes`, in `lang`, with `content_sha256` on every page.
pub fn minutes_pdf(minutes: &MinutesView, content_sha256: &str, lang: Lang) -> Vec<u8> {
    let blocks = blocks(minutes, lang);
    let pages = paginate(&blocks);
    let title = format!("{} — {}", t(lang, "minutes.title"), minutes.case.client_pseudonym);
    let footer = |n: usize, total: usize| {
        (
            t(lang, "minutes.pdf_hash").replace("{hash}", content_sha256),
            t(lang, "minutes.pdf_page").replace("{n}", &n.to_string()).replace("{total}", &total.to_string()),
            t(lang, "minutes.pdf_confidential").to_owned(),
        )
    };
    write_pdf(&title, minutes.finalised_at.map(|at| at.format("D:%Y%m%d%H%M%SZ").to_string()), &pages, footer)
}

/// The record as blocks, in the order of the HTML page.
fn blocks(minutes: &MinutesView, lang: Lang) -> Vec<Block> {
    let mut out = vec![Block::Title(format!("{} — {}", t(lang, "minutes.title"), minutes.case.client_pseudonym))];
    out.push(Block::Strong(match (&minutes.finalised_at, &minutes.finalised_by_name) {
        (Some(at), by) => {
            t(lang, "minutes.finalised").replace("{at}", &when(*at)).replace("{by}", by.as_deref().unwrap_or("—"))
        }
        (None, _) => t(lang, "minutes.draft").to_owned(),
    }));
    out.push(Block::Gap);
    let fact = |key: &str, value: String| Block::Fact(t(lang, key).to_owned(), value);
    out.push(fact("minutes.client", minutes.case.client_pseudonym.clone()));
    out.push(fact("minutes.prison", minutes.case.prison_name.clone()));
    out.push(fact("minutes.municipality", minutes.case.municipality_name.clone()));
    out.push(fact("minutes.release", minutes.case.expected_release.format("%d-%m-%Y").to_string()));
    out.push(fact("minutes.scheduled", when(minutes.scheduled_at)));
    out.push(fact("minutes.chair", minutes.chair_name.clone()));
    out.push(fact("minutes.purpose", minutes.purpose.clone()));
    for (label, value) in held_facts(minutes, lang) {
        out.push(Block::Fact(label, value));
    }
    out.push(Block::Heading(2, t(lang, "minutes.participants").to_owned()));
    let lines = attendance_lines(minutes, lang);
    if lines.is_empty() {
        out.push(Block::Paragraph(t(lang, "minutes.nobody").to_owned()));
    }
    out.extend(lines.into_iter().map(Block::Bullet));
    for section in &minutes.domains {
        out.push(Block::Heading(2, t(lang, &format!("domain.{}", section.domain)).to_owned()));
        for (key, text) in [
            ("minutes.situation", &section.situation),
            ("minutes.client_wish", &section.client_wish),
            ("minutes.notes", &section.notes),
        ] {
            if !text.trim().is_empty() {
                out.push(Block::Heading(3, t(lang, key).to_owned()));
                out.push(Block::Paragraph(text.clone()));
            }
        }
        if !section.decisions.is_empty() {
            out.push(Block::Heading(3, t(lang, "minutes.decisions").to_owned()));
            for decision in &section.decisions {
                let note = if decision.note.is_empty() { String::new() } else { format!(": {}", decision.note) };
                out.push(Block::Bullet(format!(
                    "{} — {}{note}",
                    when(decision.decided_at),
                    t(lang, &format!("decision.{}", decision.decision))
                )));
            }
        }
        actions(&mut out, t(lang, "minutes.actions"), &section.agreed, lang);
        actions(&mut out, t(lang, "minutes.carried_over"), &section.carried_over, lang);
        if section.situation.trim().is_empty()
            && section.client_wish.trim().is_empty()
            && section.agreed.is_empty()
            && section.carried_over.is_empty()
            && section.decisions.is_empty()
        {
            out.push(Block::Paragraph(t(lang, "minutes.nothing").to_owned()));
        }
    }
    out.push(Block::Gap);
    out.push(Block::Paragraph(t(lang, "minutes.confidential").to_owned()));
    out
}

fn actions(out: &mut Vec<Block>, heading: &str, actions: &[ActionLine], lang: Lang) {
    if actions.is_empty() {
        return;
    }
    out.push(Block::Heading(3, heading.to_owned()));
    for action in actions {
        out.push(Block::Bullet(format!(
            "{} — {}: {} — {}: {} — {}: {}",
            action.description,
            t(lang, "minutes.who"),
            owner(action, lang),
            t(lang, "minutes.due"),
            action.due_date.format("%d-%m-%Y"),
            t(lang, "minutes.status"),
            t(lang, &format!("status.{}", action.status)),
        )));
    }
}

/// One line of text placed on a page.
#[derive(Debug, Clone)]
struct Placed {
    font: Font,
    size: f32,
    x: f32,
    y: f32,
    text: Vec<u8>,
}

/// Cuts the blocks into lines and the lines into pages.
fn paginate(blocks: &[Block]) -> Vec<Vec<Placed>> {
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut y = TOP;
    for block in blocks {
        // (font, size, indent, space before, text, lines that must fit with the first one)
        let (font, size, indent, before, text, keep) = match block {
            Block::Title(text) => (Font::Bold, 16.0, 0.0, 0.0, text.clone(), 1),
            Block::Heading(2, text) => (Font::Bold, 13.0, 0.0, 14.0, text.clone(), 3),
            Block::Heading(_, text) => (Font::Bold, 10.5, 0.0, 8.0, text.clone(), 2),
            Block::Paragraph(text) => (Font::Regular, 10.0, 0.0, 2.0, text.clone(), 1),
            Block::Strong(text) => (Font::Bold, 10.5, 0.0, 4.0, text.clone(), 1),
            Block::Fact(label, value) => (Font::Regular, 10.0, 0.0, 1.0, format!("{label}: {value}"), 1),
            Block::Bullet(text) => (Font::Regular, 10.0, 12.0, 2.0, text.clone(), 1),
            Block::Gap => {
                y -= 8.0;
                continue;
            }
        };
        let leading = size * 1.3;
        let lines: Vec<Vec<u8>> =
            text.split('\n').flat_map(|paragraph| wrap(&encode(paragraph), font, size, TEXT_WIDTH - indent)).collect();
        y -= before;
        if y - leading * (keep as f32) < BOTTOM {
            pages.push(Vec::new());
            y = TOP;
        }
        for (i, line) in lines.into_iter().enumerate() {
            if y - leading < BOTTOM {
                pages.push(Vec::new());
                y = TOP;
            }
            y -= leading;
            let page = pages.last_mut().expect("there is always a page");
            if i == 0 && matches!(block, Block::Bullet(_)) {
                page.push(Placed { font, size, x: MARGIN + 2.0, y, text: vec![0x95] });
            }
            page.push(Placed { font, size, x: MARGIN + indent, y, text: line });
        }
    }
    pages
}

/// Text as WinAnsi bytes; a character WinAnsi lacks becomes `?`.
fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .filter(|c| *c != '\r')
        .map(|c| match c {
            '\t' => b' ',
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8a,
            '‹' => 0x8b,
            'Œ' => 0x8c,
            'Ž' => 0x8e,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9a,
            '›' => 0x9b,
            'œ' => 0x9c,
            'ž' => 0x9e,
            'Ÿ' => 0x9f,
            _ => b'?',
        })
        .collect()
}

/// Helvetica's advance widths (1/1000 em) for the printable ASCII characters, from its AFM.
const REGULAR: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];

/// Helvetica-Bold's advance widths for the printable ASCII characters.
const BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611,
    556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389,
    280, 389, 584,
];

/// The width of one WinAnsi byte in 1/1000 em. Beyond ASCII (accented letters, dashes) the
/// widest likely glyph is assumed, so a line is never wider than the page.
fn glyph_width(byte: u8, font: Font) -> u16 {
    let table = if font == Font::Bold { &BOLD } else { &REGULAR };
    match byte {
        0x20..=0x7e => table[(byte - 0x20) as usize],
        0x97 | 0x89 => 1000,
        _ => 778,
    }
}

fn text_width(text: &[u8], font: Font, size: f32) -> f32 {
    text.iter().map(|&b| f32::from(glyph_width(b, font))).sum::<f32>() * size / 1000.0
}

/// Breaks a line of text into lines no wider than `width`, at spaces; a word wider than a whole
/// line is cut where it must be.
fn wrap(text: &[u8], font: Font, size: f32, width: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let mut candidate = line.clone();
        if !candidate.is_empty() {
            candidate.push(b' ');
        }
        candidate.extend_from_slice(word);
        if text_width(&candidate, font, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for &byte in word {
            line.push(byte);
            if text_width(&line, font, size) > width {
                line.pop();
                lines.push(std::mem::replace(&mut line, vec![byte]));
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A PDF string literal: parentheses and backslashes escaped, everything beyond ASCII as an
/// octal escape, so the file itself stays 7-bit.
fn literal(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for &b in text {
        match b {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push(')');
    out
}

fn show(content: &mut String, font: Font, size: f32, x: f32, y: f32, text: &[u8]) {
    let _ = writeln!(content, "BT /{} {size:.1} Tf {x:.2} {y:.2} Td {} Tj ET", font.name(), literal(text));
}

/// Writes the document: catalog, page tree, two fonts, the info dictionary, then a page and
/// its content stream per page, the cross-reference table and the trailer.
fn write_pdf(
    title: &str,
    created: Option<String>,
    pages: &[Vec<Placed>],
    footer: impl Fn(usize, usize) -> (String, String, String),
) -> Vec<u8> {
    let total = pages.len();
    let mut objects: Vec<String> = Vec::new();
    // 1 catalog, 2 pages, 3 and 4 fonts, 5 info; page i is 6 + 2i, its content 7 + 2i.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_owned());
    let kids: Vec<String> = (0..total).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {total} >>", kids.join(" ")));
    for base in ["Helvetica", "Helvetica-Bold"] {
        objects.push(format!("<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>"));
    }
    // Text strings outside page content are UTF-16BE with a byte-order mark (PDF 1.4 §3.8.1).
    let title: String = std::iter::once(0xfeff).chain(title.encode_utf16()).map(|unit| format!("{unit:04X}")).collect();
    let mut info = format!("<< /Title <{title}> /Producer (Ketentafel)");
    if let Some(created) = created {
        let _ = write!(info, " /CreationDate ({created})");
    }
    info.push_str(" >>");
    objects.push(info);
    for (i, lines) in pages.iter().enumerate() {
        let mut content = String::new();
        for line in lines {
            show(&mut content, line.font, line.size, line.x, line.y, &line.text);
        }
        let (hash, page, confidential) = footer(i + 1, total);
        let _ = writeln!(content, "0.5 w {MARGIN:.2} 64 m {:.2} 64 l S", PAGE_WIDTH - MARGIN);
        show(&mut content, Font::Regular, 7.5, MARGIN, 52.0, &encode(&hash));
        show(&mut content, Font::Regular, 7.5, MARGIN, 42.0, &encode(&confidential));
        let page = encode(&page);
        let x = PAGE_WIDTH - MARGIN - text_width(&page, Font::Bold, 8.0);
        show(&mut content, Font::Bold, 8.0, x, 42.0, &page);
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH:.0} {PAGE_HEIGHT:.0}] \
             /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            7 + 2 * i
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{content}endstream", content.len()));
    }
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        let _ = write!(pdf, "{} 0 obj\n{object}\nendobj\n", i + 1);
    }
    let xref = pdf.len();
    let _ = write!(pdf, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(pdf, "{offset:010} 00000 n ");
    }
    let _ =
        write!(pdf, "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    pdf.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_letters_and_dashes_are_encoded_in_win_ansi_and_the_rest_is_a_question_mark() {
        assert_eq!(encode("Cliënt – €5 “ja” 漢"), b"Cli\xebnt \x96 \x805 \x93ja\x94 ?".to_vec());
    }

    #[test]
    fn string_literals_escape_parentheses_backslashes_and_high_bytes() {
        assert_eq!(literal(b"a(b)\\c\xeb"), "(a\\(b\\)\\\\c\\353)");
    }

    #[test]
    fn wrapping_keeps_every_word_and_no_line_is_wider_than_asked() {
        let text = encode("Een woning zoeken via de woningcorporatie en een aanvraag doen bij de gemeente");
        let lines = wrap(&text, Font::Regular, 10.0, 120.0);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|l| text_width(l, Font::Regular, 10.0) <= 120.0));
        assert_eq!(lines.join(&b' '), text);
        let long = wrap(&[b'x'; 200], Font::Regular, 10.0, 100.0);
        assert!(long.len() > 1 && long.iter().all(|l| text_width(l, Font::Regular, 10.0) <= 100.0));
    }

    #[test]
    fn the_cross_reference_table_points_at_each_object() {
        let pages = vec![vec![Placed { font: Font::Regular, size: 10.0, x: 56.0, y: 700.0, text: b"Hallo".to_vec() }]];
        let pdf = write_pdf("T", None, &pages, |n, total| (format!("hash {n}"), format!("{n}/{total}"), String::new()));
        let text = String::from_utf8(pdf).unwrap();
        let xref: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        assert!(text[xref..].starts_with("xref\n0 8\n"));
        for (i, line) in text[xref..].lines().skip(3).take(7).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(text[offset..].starts_with(&format!("{} 0 obj", i + 1)), "object {} at {offset}", i + 1);
        }
    }
}
