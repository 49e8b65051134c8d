//! The one translation table (`web/i18n/strings.json`), shared by the browser client and the
//! pages the server renders itself (printable minutes). Dutch first, English second.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the interface speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Nl,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }
}

type Table = HashMap<String, HashMap<String, String>>;

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../web/i18n/strings.json"))
        .expect("web/i18n/strings.json is valid JSON of key → { language → text }")
});

/// The text for `key` in `lang`, falling back to Dutch, then to the key itself (so a missing
/// translation is visible, not blank).
pub fn t(lang: Lang, key: &str) -> &str {
    TABLE
        .get(key)
        .and_then(|texts| texts.get(lang.code()).or_else(|| texts.get("nl")))
        .map(String::as_str)
        .unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_dutch_and_an_english_text() {
        for (key, texts) in TABLE.iter() {
            for lang in ["nl", "en"] {
                let text = texts.get(lang).unwrap_or_else(|| panic!("{key} has no {lang} text"));
                assert!(!text.trim().is_empty(), "{key} has an empty {lang} text");
            }
        }
    }

    #[test]
    fn dutch_is_the_default_and_english_is_selectable() {
        assert_eq!(t(Lang::default(), "domain.housing"), "Onderdak (wonen)");
        assert_eq!(t(Lang::En, "domain.housing"), "Housing");
        assert_eq!(t(Lang::En, "no.such.key"), "no.such.key");
    }
}
