//! The printable invite sheet for the prison's video terminal: one A4 page with who it is for,
//! when, the steps in plain language (B1), the link written out and its QR code (SVG), so a
//! prison officer can hand it over and the client can start the call on his own.

use super::render::{escape, when};
use crate::i18n::{Lang, t};
use crate::storage::models::{Invite, Meeting};
use std::fmt::Write;

const STYLE: &str = "
body{font:14pt/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111;max-width:42rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dt{font-weight:700}dd{margin:0}
ol{padding-left:1.5rem}li{margin:.4rem 0}.qr{display:block;width:14rem;height:14rem;margin:1rem 0}
.link{font-family:ui-monospace,monospace;font-size:11pt;overflow-wrap:anywhere;border:1px solid #555;padding:.5rem}
.keep{font-weight:700;border:2px solid #111;padding:.5rem .75rem}
@media print{body{margin:0;max-width:none}}
";

/// The QR code of `url` as an inline SVG image with a text alternative.
fn qr_svg(url: &str, label: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build();
            // Drop the XML declaration; label the picture for screen readers.
            let svg = svg.split_once("<svg").map(|(_, rest)| format!("<svg{rest}")).unwrap_or(svg);
            svg.replacen("<svg", &format!("<svg class=\"qr\" role=\"img\" aria-label=\"{}\"", escape(label)), 1)
        }
        Err(e) => {
            tracing::warn!(error = %e, "no QR code for an invite link");
            String::new()
        }
    }
}

/// The whole page.
pub fn page(invite: &Invite, meeting: &Meeting, url: &str, lang: Lang) -> String {
    let mut html = String::with_capacity(16 * 1024);
    let title = t(lang, "sheet.title");
    let _ = write!(
        html,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main><h1>{}</h1>",
        lang.code(),
        escape(title),
        escape(title)
    );
    let _ = write!(
        html,
        "<dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
        escape(t(lang, "sheet.for")),
        escape(&invite.name),
        escape(t(lang, "sheet.when")),
        escape(&when(meeting.scheduled_at)),
        escape(t(lang, "sheet.about")),
        escape(&meeting.purpose),
    );
    let _ = write!(html, "<h2>{}</h2><ol>", escape(t(lang, "sheet.steps")));
    for step in ["sheet.step1", "sheet.step2", "sheet.step3", "sheet.step4"] {
        let _ = write!(html, "<li>{}</li>", escape(t(lang, step)));
    }
    html.push_str("</ol>");
    html.push_str(&qr_svg(url, t(lang, "sheet.qr")));
    let _ = write!(html, "<p class=\"link\">{}</p>", escape(url));
    let until = t(lang, "sheet.valid_until").replace("{until}", &when(invite.expires_at));
    let _ = write!(
        html,
        "<p>{}</p><p class=\"keep\">{}</p><p>{}</p>",
        escape(&until),
        escape(t(lang, "sheet.keep")),
        escape(t(lang, "sheet.help"))
    );
    html.push_str("</main></body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_inline_labelled_svg() {
        let svg = qr_svg("https://ketentafel.example/join/abc", "QR <code>");
        assert!(svg.starts_with("<svg class=\"qr\" role=\"img\" aria-label=\"QR &lt;code&gt;\""), "{svg:.120}");
        assert!(svg.contains("<path") || svg.contains("<rect"));
    }
}
