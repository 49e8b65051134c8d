//! Parsing of user input into values that are valid by construction.

use chrono::NaiveDate;

/// A code that is not one of the known values of a closed set.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} `{code}`")]
pub struct UnknownCode {
    /// Which set the code was checked against.
    pub kind: &'static str,
    /// The offending code, truncated.
    pub code: String,
}

/// Why a field was refused; becomes a 422 with the field named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The JSON field that was refused.
    pub field: &'static str,
    /// What is wrong with it, in words a user can act on.
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// Trims a required text and checks its length in characters.
pub fn required_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(field, "may not be empty"));
    }
    bounded_text(field, trimmed, max_chars)
}

/// Checks the length of an optional or multi-line text (trailing whitespace trimmed). Control
/// characters other than line breaks and tabs are refused, and so are the bidirectional
/// overrides, embeddings and isolates: they make text read differently from what it says
/// (U+202E turns `Jan exe.cod` into what looks like `Jan doc.exe`).
pub fn bounded_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let value = value.trim_end();
    if value.chars().count() > max_chars {
        return Err(Invalid::new(field, format!("is longer than {max_chars} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(Invalid::new(field, "contains control characters"));
    }
    if value.chars().any(is_bidi_control) {
        return Err(Invalid::new(field, "contains invisible text-direction characters"));
    }
    Ok(value.to_owned())
}

/// A name a person typed (a pseudonym, a person's or an organisation's name): required, on one
/// line, and free of invisible formatting (see [`plain_text`]).
pub fn name(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let value = plain_text(field, value, max_chars)?;
    if value.chars().any(|c| c.is_control()) {
        return Err(Invalid::new(field, "must be one line"));
    }
    Ok(value)
}

/// A required text that others read as the title of something (a conference's purpose): it
/// may have several lines, but no invisible formatting characters, so that what others read is
/// what was typed. The joiners (U+200C, U+200D) stay: words in Persian, Arabic and Indic
/// scripts need them.
pub fn plain_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let value = required_text(field, value, max_chars)?;
    if value.chars().any(is_invisible_format) {
        return Err(Invalid::new(field, "contains invisible formatting characters"));
    }
    Ok(value)
}

/// Longest text for the client, in characters: a few short sentences.
pub const MAX_CLIENT_TEXT: usize = 300;

/// A short text for the client in plain words (an action or a conference's purpose as he reads
/// it): empty (not written) or a [`plain_text`] of at most `max_chars`.
pub fn client_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    if value.trim().is_empty() {
        // Whitespace only is "not written", but invisible characters are not whitespace.
        return Ok(String::new());
    }
    plain_text(field, value, max_chars)
}

/// The explicit bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that are not shown but change what is shown or how it compares: direction marks
/// and controls, zero-width spaces, word joiners, byte-order marks, line and paragraph
/// separators, the soft hyphen, interlinear annotation and tag characters.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// A normalised e-mail address: trimmed, lower-case, one `@` with text on both sides.
pub fn email(field: &'static str, value: &str) -> Result<String, Invalid> {
    let value = value.trim().to_lowercase();
    let valid = value.len() <= 254
        && value.split('@').count() == 2
        && value.split('@').all(|part| !part.is_empty())
        && !value.chars().any(|c| c.is_whitespace() || c.is_control() || is_invisible_format(c));
    if valid { Ok(value) } else { Err(Invalid::new(field, "is not an e-mail address")) }
}

/// A calendar date in ISO 8601 (`YYYY-MM-DD`) within a sane range for this product.
pub fn date(field: &'static str, value: NaiveDate) -> Result<NaiveDate, Invalid> {
    let min = NaiveDate::from_ymd_opt(1990, 1, 1).expect("a valid constant date");
    let max = NaiveDate::from_ymd_opt(2100, 12, 31).expect("a valid constant date");
    if value < min || value > max {
        return Err(Invalid::new(field, "is outside 1990–2100"));
    }
    Ok(value)
}

/// A moment for the calendar (when a conference is held): not more than a day before `now`
/// (entering one that just happened is fine; the year 2000 is a typo) and not more than two
/// years after it.
pub fn moment(
    field: &'static str,
    value: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, Invalid> {
    if value < now - chrono::Duration::days(1) {
        return Err(Invalid::new(field, "is more than a day in the past"));
    }
    if value > now + chrono::Duration::days(2 * 366) {
        return Err(Invalid::new(field, "is more than two years ahead"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-12-02T09:00:00Z").unwrap().to_utc()
    }

    #[test]
    fn a_moment_far_in_the_future_is_refused() {
        let far: chrono::DateTime<chrono::Utc> = serde_json::from_str("\"+262142-12-31T23:00:00Z\"").unwrap();
        assert_eq!(moment("scheduled_at", far, now()).unwrap_err().field, "scheduled_at");
        assert!(moment("scheduled_at", now() + chrono::Duration::days(3 * 365), now()).is_err());
    }

    #[test]
    fn a_moment_in_the_year_2000_is_refused_but_one_this_morning_is_kept() {
        let y2k = chrono::DateTime::parse_from_rfc3339("2000-01-01T09:00:00Z").unwrap().to_utc();
        assert_eq!(moment("scheduled_at", y2k, now()).unwrap_err().field, "scheduled_at");
        assert!(moment("scheduled_at", now() - chrono::Duration::days(2), now()).is_err());
        assert!(moment("scheduled_at", now() - chrono::Duration::hours(3), now()).is_ok());
        assert!(moment("scheduled_at", now() + chrono::Duration::days(600), now()).is_ok());
    }

    #[test]
    fn a_name_with_a_right_to_left_override_or_other_invisible_formatting_is_refused() {
        for sneaky in [
            "Jan \u{202E}exe.cod",
            "Jan\u{2066}B\u{2069}",
            "Jan\u{200B}B.",
            "Jan\u{200F}B.",
            "\u{FEFF}Jan",
            "Jan\u{2028}B.",
        ] {
            assert_eq!(name("client_pseudonym", sneaky, 120).unwrap_err().field, "client_pseudonym", "{sneaky:?}");
        }
        assert!(name("name", "Jan\nB.", 120).is_err(), "a name is one line");
        assert!(name("name", "Jan\u{7}B.", 120).is_err());
    }

    #[test]
    fn a_client_text_may_be_empty_but_never_invisible_or_too_long() {
        assert_eq!(client_text("text", "  \n ", 300).unwrap(), "");
        assert_eq!(client_text("text", " Je krijgt een kamer. ", 300).unwrap(), "Je krijgt een kamer.");
        assert!(client_text("text", "\u{200B}", 300).is_err(), "an invisible character is not \"nothing written\"");
        assert!(client_text("text", "Je \u{202E}krijgt", 300).is_err());
        assert!(client_text("text", &"a".repeat(301), 300).is_err());
    }

    #[test]
    fn a_purpose_may_have_lines_but_no_invisible_formatting() {
        assert!(plain_text("purpose", "Netwerkberaad\nmet de cliënt", 500).is_ok());
        assert_eq!(plain_text("purpose", "Beraad \u{202E}", 500).unwrap_err().field, "purpose");
        assert!(plain_text("purpose", "Beraad\u{200B}", 500).is_err());
    }

    #[test]
    fn names_in_any_script_are_kept() {
        for fine in ["Sem B. (1985)", "Zoë de Vries-Özdemir", "مریم\u{200C}ها", "Łukasz Ñúñez", "山田 太郎"]
        {
            assert_eq!(name("name", fine, 120).unwrap(), fine);
        }
    }

    #[test]
    fn free_text_keeps_its_lines_but_not_a_direction_override() {
        assert!(bounded_text("notes", "regel 1\nregel 2", 100).is_ok());
        assert!(bounded_text("notes", "betaald \u{202E}0001 EUR", 100).is_err());
    }

    #[test]
    fn an_email_is_lower_cased_and_trimmed() {
        assert_eq!(email("email", "  Rio@Gemeente.Example ").unwrap(), "rio@gemeente.example");
    }

    #[test]
    fn an_email_without_an_at_sign_is_refused() {
        assert!(email("email", "rio.gemeente.example").is_err());
        assert!(email("email", "a@b@c").is_err());
        assert!(email("email", "@b").is_err());
    }

    #[test]
    fn a_required_text_of_only_spaces_is_refused() {
        assert_eq!(required_text("name", "   ", 10).unwrap_err().field, "name");
    }

    #[test]
    fn a_text_over_its_limit_is_refused_by_characters_not_bytes() {
        assert!(bounded_text("t", "ééééé", 5).is_ok());
        assert!(bounded_text("t", "éééééé", 5).is_err());
    }

    #[test]
    fn control_characters_are_refused_but_newlines_kept() {
        assert_eq!(bounded_text("t", "a\nb", 5).unwrap(), "a\nb");
        assert!(bounded_text("t", "a\u{0}b", 5).is_err());
    }
}
