//! The printable minutes: one self-contained HTML page (print it, or save it as PDF from the
//! browser). Texts come from the shared translation table.

use super::view::{ActionLine, DomainSection, MinutesView, Presence, presence};
use crate::i18n::{Lang, t};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text with its line breaks kept.
fn paragraphs(text: &str) -> String {
    escape(text).replace('\n', "<br>")
}

/// Dates and times as the Netherlands writes them, in Dutch local time.
pub fn when(at: DateTime<Utc>) -> String {
    crate::timezone::to_local(at).format("%d-%m-%Y %H:%M").to_string()
}

/// A moment during a conference: the time alone on the day it started, else date and time.
fn during(at: DateTime<Utc>, day_of: Option<DateTime<Utc>>) -> String {
    let local = crate::timezone::to_local(at);
    match day_of {
        Some(start) if crate::timezone::to_local(start).date_naive() == local.date_naive() => {
            local.format("%H:%M").to_string()
        }
        _ => when(at),
    }
}

/// The facts about when a conference was held, as (label, value): the start and end, or that
/// it was never held; then when and by whom the minutes were finalised. The HTML page and the
/// PDF show the same.
pub fn held_facts(minutes: &MinutesView, lang: Lang) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    match minutes.started_at {
        Some(started) => {
            facts.push((t(lang, "minutes.started").to_owned(), when(started)));
            let ended = match minutes.ended_at {
                Some(ended) => during(ended, Some(started)),
                None => t(lang, "minutes.still_running").to_owned(),
            };
            facts.push((t(lang, "minutes.ended").to_owned(), ended));
        }
        None => facts.push((t(lang, "minutes.held").to_owned(), t(lang, "minutes.not_held").to_owned())),
    }
    if let Some(at) = minutes.finalised_at {
        let by = minutes.finalised_by_name.as_deref().unwrap_or("—");
        facts.push((t(lang, "minutes.finalised_label").to_owned(), format!("{} — {by}", when(at))));
    }
    facts
}

/// One person's attendance as a line: "J. Jansen, Reclassering (Ketenpartner): 10:02–10:45".
pub fn presence_line(person: &Presence, started: Option<DateTime<Utc>>, lang: Lang) -> String {
    let organisation = person.organisation.as_deref().map(|o| format!(", {o}")).unwrap_or_default();
    let role_key = format!("role.{}", person.role);
    let role = t(lang, &role_key);
    let role = if role == role_key { person.role.clone() } else { role.to_owned() };
    let periods: Vec<String> = person
        .periods
        .iter()
        .map(|(from, to)| {
            let until = match to {
                Some(to) => during(*to, started),
                None => t(lang, "minutes.until_end").to_owned(),
            };
            format!("{}–{until}", during(*from, started))
        })
        .collect();
    format!("{}{organisation} ({role}): {}", person.name, periods.join(", "))
}

/// Everyone who took part, one line each.
pub fn attendance_lines(minutes: &MinutesView, lang: Lang) -> Vec<String> {
    presence(&minutes.attendance).iter().map(|p| presence_line(p, minutes.started_at, lang)).collect()
}

const STYLE: &str = "
body{font:11pt/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1a1a;max-width:48rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.75rem 0 .5rem;border-bottom:2px solid #1d4f91;padding-bottom:.2rem}
h3{font-size:1rem;margin:1rem 0 .25rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dt{font-weight:600}dd{margin:0}table{border-collapse:collapse;width:100%;margin:.25rem 0}
th,td{text-align:left;vertical-align:top;border:1px solid #8a8a8a;padding:.3rem .45rem}th{background:#e8eef6}
.stamp{margin:1rem 0;padding:.5rem .75rem;border:2px solid #1d4f91;font-weight:600}
.draft{border-color:#a4262c;color:#a4262c}.confidential{font-size:.9rem;color:#444;margin-top:2rem}
.empty{color:#555;font-style:italic}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,section{break-inside:avoid}
a{color:inherit;text-decoration:none}.stamp{border-width:1px}}
";

/// The whole page.
pub fn minutes_page(minutes: &MinutesView, lang: Lang, record_sha256: Option<&str>) -> String {
    let mut html = String::with_capacity(8 * 1024);
    let title = format!("{} — {}", t(lang, "minutes.title"), minutes.case.client_pseudonym);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>",
        lang.code(),
        escape(&title)
    );
    let _ = write!(html, "<h1>{}</h1>", escape(&title));
    match (&minutes.finalised_at, &minutes.finalised_by_name) {
        (Some(at), by) => {
            let stamp =
                t(lang, "minutes.finalised").replace("{at}", &when(*at)).replace("{by}", by.as_deref().unwrap_or("—"));
            let _ = write!(html, "<p class=\"stamp\" role=\"status\">{}</p>", escape(&stamp));
        }
        (None, _) => {
            let _ = write!(html, "<p class=\"stamp draft\" role=\"status\">{}</p>", escape(t(lang, "minutes.draft")));
        }
    }
    let _ = write!(
        html,
        "<dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>",
        escape(t(lang, "minutes.client")),
        escape(&minutes.case.client_pseudonym),
        escape(t(lang, "minutes.prison")),
        escape(&minutes.case.prison_name),
        escape(t(lang, "minutes.municipality")),
        escape(&minutes.case.municipality_name),
        escape(t(lang, "minutes.release")),
        minutes.case.expected_release.format("%d-%m-%Y"),
        escape(t(lang, "minutes.scheduled")),
        when(minutes.scheduled_at),
        escape(t(lang, "minutes.chair")),
        escape(&minutes.chair_name),
        escape(t(lang, "minutes.purpose")),
        paragraphs(&minutes.purpose),
    );
    for (label, value) in held_facts(minutes, lang) {
        let _ = write!(html, "<dt>{}</dt><dd>{}</dd>", escape(&label), escape(&value));
    }
    html.push_str("</dl>");
    let _ = write!(html, "<h2>{}</h2>", escape(t(lang, "minutes.participants")));
    let lines = attendance_lines(minutes, lang);
    if lines.is_empty() {
        let _ = write!(html, "<p class=\"empty\">{}</p>", escape(t(lang, "minutes.nobody")));
    } else {
        html.push_str("<ul>");
        for line in lines {
            let _ = write!(html, "<li>{}</li>", escape(&line));
        }
        html.push_str("</ul>");
    }
    for section in &minutes.domains {
        domain_section(&mut html, section, lang);
    }
    if let Some(sha) = record_sha256 {
        let _ = write!(
            html,
            "<p class=\"confidential\">{}</p>",
            escape(&t(lang, "minutes.pdf_hash").replace("{hash}", sha))
        );
    }
    let _ =
        write!(html, "<p class=\"confidential\">{}</p></main></body></html>", escape(t(lang, "minutes.confidential")));
    html
}

fn domain_section(html: &mut String, section: &DomainSection, lang: Lang) {
    let _ = write!(html, "<section><h2>{}</h2>", escape(t(lang, &format!("domain.{}", section.domain))));
    for (key, text) in [
        ("minutes.situation", &section.situation),
        ("minutes.client_wish", &section.client_wish),
        ("minutes.notes", &section.notes),
    ] {
        if !text.trim().is_empty() {
            let _ = write!(html, "<h3>{}</h3><p>{}</p>", escape(t(lang, key)), paragraphs(text));
        }
    }
    if !section.decisions.is_empty() {
        let _ = write!(html, "<h3>{}</h3><ul>", escape(t(lang, "minutes.decisions")));
        for decision in &section.decisions {
            let _ = write!(
                html,
                "<li>{} — {}{}</li>",
                when(decision.decided_at),
                escape(t(lang, &format!("decision.{}", decision.decision))),
                if decision.note.is_empty() { String::new() } else { format!(": {}", paragraphs(&decision.note)) }
            );
        }
        html.push_str("</ul>");
    }
    action_table(html, t(lang, "minutes.actions"), &section.agreed, lang);
    action_table(html, t(lang, "minutes.carried_over"), &section.carried_over, lang);
    if section.situation.trim().is_empty()
        && section.client_wish.trim().is_empty()
        && section.agreed.is_empty()
        && section.carried_over.is_empty()
        && section.decisions.is_empty()
    {
        let _ = write!(html, "<p class=\"empty\">{}</p>", escape(t(lang, "minutes.nothing")));
    }
    html.push_str("</section>");
}

fn action_table(html: &mut String, heading: &str, actions: &[ActionLine], lang: Lang) {
    if actions.is_empty() {
        return;
    }
    let _ = write!(
        html,
        "<h3>{}</h3><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        escape(heading),
        escape(t(lang, "minutes.what")),
        escape(t(lang, "minutes.who")),
        escape(t(lang, "minutes.due")),
        escape(t(lang, "minutes.status")),
    );
    for action in actions {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            paragraphs(&action.description),
            escape(&owner(action, lang)),
            action.due_date.format("%d-%m-%Y"),
            escape(t(lang, &format!("status.{}", action.status))),
        );
    }
    html.push_str("</tbody></table>");
}

/// "Woonbron (J. Jansen)", or "the client himself".
pub fn owner(action: &ActionLine, lang: Lang) -> String {
    if action.owner_is_client {
        return t(lang, "minutes.the_client").to_owned();
    }
    match (&action.owner_organisation_name, &action.owner_user_name) {
        (Some(org), Some(person)) => format!("{org} ({person})"),
        (Some(org), None) => org.clone(),
        (None, Some(person)) => person.clone(),
        (None, None) => "—".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_user_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }

    #[test]
    fn line_breaks_survive_as_breaks() {
        assert_eq!(paragraphs("a\n<b>"), "a<br>&lt;b&gt;");
    }
}
