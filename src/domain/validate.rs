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

/// Trims a required single-line text and checks its length in characters.
pub fn required_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(field, "may not be empty"));
    }
    bounded_text(field, trimmed, max_chars)
}

/// Checks the length of an optional or multi-line text (trailing whitespace trimmed).
pub fn bounded_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let value = value.trim_end();
    if value.chars().count() > max_chars {
        return Err(Invalid::new(field, format!("is longer than {max_chars} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(Invalid::new(field, "contains control characters"));
    }
    Ok(value.to_owned())
}

/// A normalised e-mail address: trimmed, lower-case, one `@` with text on both sides.
pub fn email(field: &'static str, value: &str) -> Result<String, Invalid> {
    let value = value.trim().to_lowercase();
    let valid = value.len() <= 254
        && value.split('@').count() == 2
        && value.split('@').all(|part| !part.is_empty())
        && !value.chars().any(char::is_whitespace);
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

/// A moment within the same sane range as [`date`].
pub fn moment(
    field: &'static str,
    value: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, Invalid> {
    date(field, value.date_naive())?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_far_in_the_future_is_refused() {
        let far: chrono::DateTime<chrono::Utc> = serde_json::from_str("\"+262142-12-31T23:00:00Z\"").unwrap();
        assert_eq!(moment("scheduled_at", far).unwrap_err().field, "scheduled_at");
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
