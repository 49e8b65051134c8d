//! The dashboard's figures as CSV (RFC 4180: comma-separated, `.` as decimal point, UTF-8),
//! one file per chart, with the period-by-period detail the charts summarise. Column headers
//! and domain names come from the translation table; the codes stay beside them for whoever
//! processes the file further.

use super::{Chart, Figures};
use crate::i18n::{Lang, t};

/// One field, quoted when it must be, and never read as a formula by a spreadsheet.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

fn line(out: &mut String, fields: &[String]) {
    let fields: Vec<String> = fields.iter().map(|f| field(f)).collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

fn opt(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The chart's data as CSV.
pub fn render(chart: Chart, figures: &Figures, lang: Lang) -> String {
    let h = |key: &str| t(lang, &format!("figures.csv.{key}")).to_owned();
    let domain = |d: crate::domain::LifeDomain| t(lang, &format!("domain.{d}")).to_owned();
    let mut out = String::new();
    match chart {
        Chart::OnTime => {
            line(&mut out, &[h("period"), h("domain_code"), h("domain"), h("judged"), h("on_time"), h("percent")]);
            for row in figures.on_time.iter().chain(&figures.on_time_total) {
                line(
                    &mut out,
                    &[
                        row.period.clone(),
                        row.domain.to_string(),
                        domain(row.domain),
                        row.judged.to_string(),
                        row.on_time.to_string(),
                        opt(row.percent),
                    ],
                );
            }
        }
        Chart::EscalationAge => {
            line(&mut out, &[h("age_days"), h("escalations")]);
            for bucket in &figures.open_escalations_by_age {
                line(&mut out, &[bucket.bucket.clone(), bucket.escalations.to_string()]);
            }
        }
        Chart::DecisionTime => {
            line(&mut out, &[h("period"), h("decided"), h("median_days")]);
            for row in &figures.decision_time {
                line(&mut out, &[row.period.clone(), row.decided.to_string(), opt(row.median_days)]);
            }
        }
        Chart::Warnings => {
            line(&mut out, &[h("domain_code"), h("domain"), h("cases")]);
            for row in &figures.warnings_by_domain {
                line(&mut out, &[row.domain.to_string(), domain(row.domain), row.cases.to_string()]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_or_quotes_are_quoted_and_formulas_defused() {
        assert_eq!(field("Schulden (financiën)"), "Schulden (financiën)");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("zei \"ja\""), "\"zei \"\"ja\"\"\"");
        assert_eq!(field("=1+1"), "'=1+1");
    }
}
