//! An app's kind: which adapter is behind it, validated but not interpreted here.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// What is behind an app: `directory` (nothing, a plain SCIM directory) or the kind of
/// an adapter, such as `gong`. Validated here: lower-case ASCII letters, digits and '-',
/// starting with a letter, at most [`AppKind::MAX_LEN`] characters. Which kinds have an
/// adapter is the adapter registry's knowledge, not the store's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppKind(Cow<'static, str>);

impl AppKind {
    /// The kind with no vendor behind it.
    pub const DIRECTORY: AppKind = AppKind::from_static("directory");

    /// The longest kind accepted.
    pub const MAX_LEN: usize = 32;

    /// A kind written in the code, checked when compiled in a `const`.
    ///
    /// # Panics
    /// When `kind` is not a valid kind; parse input with [`str::parse`] instead.
    pub const fn from_static(kind: &'static str) -> AppKind {
        if let Err(why) = check_kind(kind.as_bytes()) {
            panic!("{}", why);
        }
        AppKind(Cow::Borrowed(kind))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether writes to this app's resources queue a reconcile with a vendor.
    pub fn has_vendor(&self) -> bool {
        *self != AppKind::DIRECTORY
    }
}

/// Why `kind` is not a valid kind.
const fn check_kind(kind: &[u8]) -> Result<(), &'static str> {
    if kind.is_empty() || kind.len() > AppKind::MAX_LEN {
        return Err("it must be 1 to 32 characters long");
    }
    if !kind[0].is_ascii_lowercase() {
        return Err("it must start with a letter");
    }
    let mut i = 0;
    while i < kind.len() {
        if !matches!(kind[i], b'a'..=b'z' | b'0'..=b'9' | b'-') {
            return Err("use only letters, digits and '-'");
        }
        i += 1;
    }
    Ok(())
}

/// Text that cannot be an app kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid app kind '{kind}': {why}")]
pub struct InvalidAppKind {
    pub kind: String,
    pub why: &'static str,
}

/// Letters in any case (`ZoomInfo` is `zoominfo`).
impl FromStr for AppKind {
    type Err = InvalidAppKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let kind = s.to_ascii_lowercase();
        match check_kind(kind.as_bytes()) {
            Ok(()) => Ok(AppKind(Cow::Owned(kind))),
            Err(why) => Err(InvalidAppKind {
                kind: s.to_owned(),
                why,
            }),
        }
    }
}

impl fmt::Display for AppKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_kinds_are_lower_case_letters_digits_and_dashes() {
        for ok in [
            "directory",
            "gong",
            "zoominfo",
            "x",
            "scim-2",
            &"a".repeat(32),
        ] {
            let kind: AppKind = ok.parse().unwrap();
            assert_eq!(kind.as_str(), ok);
            assert_eq!(kind.to_string(), ok);
        }
        assert_eq!(
            "ZoomInfo".parse::<AppKind>(),
            Ok(AppKind::from_static("zoominfo"))
        );
        assert_eq!("Directory".parse::<AppKind>(), Ok(AppKind::DIRECTORY));
        for (bad, why) in [
            ("", "1 to 32 characters"),
            (&"a".repeat(33), "1 to 32 characters"),
            ("2gong", "start with a letter"),
            ("-gong", "start with a letter"),
            ("gong_eu", "only letters, digits and '-'"),
            ("gong eu", "only letters, digits and '-'"),
            ("göng", "only letters, digits and '-'"),
        ] {
            let err = bad.parse::<AppKind>().unwrap_err();
            assert_eq!(err.kind, bad);
            assert!(
                err.to_string()
                    .starts_with(&format!("invalid app kind '{bad}': ")),
                "{err}"
            );
            assert!(err.why.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn only_a_directory_has_no_vendor() {
        assert!(!AppKind::DIRECTORY.has_vendor());
        assert!(!"directory".parse::<AppKind>().unwrap().has_vendor());
        assert!(AppKind::from_static("gong").has_vendor());
        assert!("nosuch".parse::<AppKind>().unwrap().has_vendor());
    }
}
