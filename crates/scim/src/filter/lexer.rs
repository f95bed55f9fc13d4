//! Tokens of the filter language, read lazily so that the first error in the text is the
//! one reported.

use crate::path::PathSyntaxError;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A decoded string literal.
    Str(String),
    /// A run of anything else up to a space, tab, bracket, parenthesis or quote: an
    /// attribute path, an operator, a keyword, a number, or `.sub` after `]`.
    Word(&'a str),
}

/// A token and the bytes it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub kind: Tok<'a>,
    pub start: usize,
    pub end: usize,
}

pub(super) struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

/// Bytes that end a word. All are ASCII, so words are sliced on character boundaries.
fn ends_word(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'(' | b')' | b'[' | b']' | b'"')
}

pub(super) fn error(offset: usize, message: impl Into<String>) -> PathSyntaxError {
    PathSyntaxError {
        offset,
        message: message.into(),
    }
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Self {
        Lexer { text, pos: 0 }
    }

    /// The next token, or `None` at the end of the text.
    pub fn next_token(&mut self) -> Result<Option<Token<'a>>, PathSyntaxError> {
        let bytes = self.text.as_bytes();
        while self.pos < bytes.len() && matches!(bytes[self.pos], b' ' | b'\t') {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&first) = bytes.get(start) else {
            return Ok(None);
        };
        let single = match first {
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            _ => None,
        };
        let kind = if let Some(kind) = single {
            self.pos += 1;
            kind
        } else if first == b'"' {
            self.string(start)?
        } else {
            while self.pos < bytes.len() && !ends_word(bytes[self.pos]) {
                self.pos += 1;
            }
            Tok::Word(&self.text[start..self.pos])
        };
        Ok(Some(Token {
            kind,
            start,
            end: self.pos,
        }))
    }

    /// A JSON string literal starting at the quote at `start`. The closing quote is found
    /// here (so that raw control characters get their exact position); serde_json decodes
    /// the escapes.
    fn string(&mut self, start: usize) -> Result<Tok<'a>, PathSyntaxError> {
        let bytes = self.text.as_bytes();
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            match bytes.get(i) {
                None => {
                    return Err(error(
                        bytes.len(),
                        format!(
                            "expected '\"' to close the string that starts at position {start}"
                        ),
                    ));
                }
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    // Skipping the escaped byte may land inside a multi-byte character;
                    // continuation bytes are never quotes or backslashes, so the scan
                    // stays correct.
                    i += 2;
                }
                Some(&b) if b < 0x20 => {
                    return Err(error(
                        i,
                        format!(
                            "control character U+{b:04X} must be escaped in a string (e.g. \\n, \\t, \\u00{b:02X})"
                        ),
                    ));
                }
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        let literal = &self.text[start..self.pos];
        if !escaped {
            return Ok(Tok::Str(literal[1..literal.len() - 1].to_owned()));
        }
        serde_json::from_str::<String>(literal)
            .map(Tok::Str)
            .map_err(|e| {
                // serde_json's column is the 1-based byte of the offending character.
                let at = start + e.column().saturating_sub(1).min(literal.len() - 1);
                error(
                    at,
                    "invalid escape in string: use \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX (surrogates in pairs)",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Tok<'_>> {
        let mut lexer = Lexer::new(text);
        let mut out = Vec::new();
        while let Some(t) = lexer.next_token().unwrap() {
            out.push(t.kind);
        }
        out
    }

    fn err(text: &str) -> PathSyntaxError {
        let mut lexer = Lexer::new(text);
        loop {
            match lexer.next_token() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("{text:?} lexed without error"),
                Err(e) => return e,
            }
        }
    }

    #[test]
    fn words_brackets_and_strings() {
        assert_eq!(
            kinds("emails[type eq \"work\"].value\tEQ  \"x\")"),
            vec![
                Tok::Word("emails"),
                Tok::LBracket,
                Tok::Word("type"),
                Tok::Word("eq"),
                Tok::Str("work".into()),
                Tok::RBracket,
                Tok::Word(".value"),
                Tok::Word("EQ"),
                Tok::Str("x".into()),
                Tok::RParen,
            ]
        );
        assert_eq!(kinds("not(a pr)")[..2], [Tok::Word("not"), Tok::LParen]);
        assert_eq!(kinds("   "), vec![]);
    }

    #[test]
    fn escapes_are_decoded_by_json_rules() {
        assert_eq!(
            kinds(r#""a\"b\\c\/\n\t\u00e9\ud83d\ude00""#),
            vec![Tok::Str("a\"b\\c/\n\té😀".into())]
        );
        assert_eq!(kinds("\"é ✓\""), vec![Tok::Str("é ✓".into())]);
    }

    #[test]
    fn string_errors_have_positions() {
        let e = err(r#"x eq "abc"#);
        assert_eq!(e.offset, 9);
        assert!(e.message.contains("starts at position 5"), "{e}");
        assert_eq!(err(r#"x eq "a\qb""#).offset, 8);
        assert_eq!(err(r#"x eq "é\x""#).offset, 9);
        assert_eq!(err(r#""\ud800""#).offset, 7);
        assert_eq!(err("\"a\u{1}\"").offset, 2);
        assert_eq!(err(r#""\"#).offset, 2);
    }
}
