//! A recursive-descent parser for filters and PATCH paths. It recurses only where the text
//! opens a nesting level (`(`, `not (`, `[`), each counted against
//! [`FilterLimits::max_depth`], and reads `and`/`or` chains in loops.

use serde_json::Number;

use super::lexer::{Lexer, Tok, Token, error};
use super::{CompValue, CompareOp, Filter, FilterLimits, PatchPath};
use crate::path::{AttrPath, PathSyntaxError, is_valid_attr_name};

type Result<T> = std::result::Result<T, PathSyntaxError>;

/// What the paths of the expression being read are relative to.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    /// Full attribute paths.
    Resource,
    /// Sub-attribute names of the attribute whose `[...]` is being read (its text is kept
    /// for messages).
    Within(&'a str),
}

struct Parser<'a> {
    text: &'a str,
    lexer: Lexer<'a>,
    /// A token read ahead: `Some(None)` is the end of the text.
    peeked: Option<Option<Token<'a>>>,
    max_depth: usize,
    depth: usize,
}

pub(super) fn parse_filter(text: &str, limits: &FilterLimits) -> Result<Filter> {
    check_length(text, limits, "filter")?;
    let mut p = Parser::new(text, limits);
    let filter = p.or_expr(Scope::Resource)?;
    match p.next()? {
        None => Ok(filter),
        Some(t) => Err(error(
            t.start,
            match t.kind {
                Tok::RParen => "this ')' closes no '('",
                Tok::RBracket => "this ']' closes no '['",
                _ => "expected 'and', 'or' or the end of the filter",
            },
        )),
    }
}

pub(super) fn parse_patch_path(text: &str, limits: &FilterLimits) -> Result<PatchPath> {
    check_length(text, limits, "path")?;
    let mut p = Parser::new(text, limits);
    let (word, start) = match p.next()? {
        Some(Token {
            kind: Tok::Word(w),
            start,
            ..
        }) => (w, start),
        other => return Err(error(p.position(&other), "expected an attribute path")),
    };
    let attr = p.path(word, start, Scope::Resource)?;
    let path = match p.next()? {
        None => {
            return Ok(PatchPath {
                attr,
                filter: None,
                sub_attr: None,
            });
        }
        Some(Token {
            kind: Tok::LBracket,
            start: open,
            ..
        }) => {
            let (filter, close_end) = p.value_filter(&attr, word, open, Scope::Resource)?;
            let sub_attr = p.sub_after(close_end)?.map(str::to_owned);
            PatchPath {
                attr,
                filter: Some(filter),
                sub_attr,
            }
        }
        Some(t) => return Err(error(t.start, "expected '[' or the end of the path")),
    };
    match p.next()? {
        None => Ok(path),
        Some(t) if path.sub_attr.is_some() => Err(error(t.start, "expected the end of the path")),
        Some(t) => Err(error(
            t.start,
            "expected '.' and a sub-attribute name right after ']', or the end of the path",
        )),
    }
}

fn check_length(text: &str, limits: &FilterLimits, what: &str) -> Result<()> {
    if text.len() > limits.max_length {
        return Err(error(
            limits.max_length,
            format!(
                "the {what} is {} bytes long; the limit is {} bytes",
                text.len(),
                limits.max_length
            ),
        ));
    }
    Ok(())
}

fn expected_expression(scope: Scope<'_>) -> String {
    match scope {
        Scope::Resource => "expected an attribute path, '(' or 'not'".to_owned(),
        Scope::Within(attr) => format!("expected a sub-attribute of '{attr}', '(' or 'not'"),
    }
}

fn expected_operator(after: &str) -> String {
    format!(
        "expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or 'pr' after '{after}'"
    )
}

/// The offset of the first byte of `word` that breaks JSON's number grammar
/// `-? (0 | [1-9] [0-9]*) ("." [0-9]+)? ([eE] [+-]? [0-9]+)?`, if one does.
fn number_syntax_error(word: &str) -> Option<usize> {
    let b = word.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let digits_from = |mut i: usize| {
        while digit(i) {
            i += 1;
        }
        i
    };
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits_from(i),
        _ => return Some(i),
    }
    if b.get(i) == Some(&b'.') {
        if !digit(i + 1) {
            return Some(i + 1);
        }
        i = digits_from(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digit(i) {
            return Some(i);
        }
        i = digits_from(i);
    }
    (i < b.len()).then_some(i)
}

/// The value of a word that has JSON number syntax: an integer when it is one that fits
/// i64 or u64, else the correctly rounded f64 (what `Display` prints, the shortest text
/// that reads back as the same f64, parses back to it exactly); `None` beyond f64's range.
fn number(word: &str) -> Option<Number> {
    if !word.contains(['.', 'e', 'E']) {
        if let Ok(n) = word.parse::<u64>() {
            return Some(n.into());
        }
        if let Ok(n) = word.parse::<i64>() {
            return Some(n.into());
        }
    }
    word.parse::<f64>().ok().and_then(Number::from_f64)
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, limits: &FilterLimits) -> Self {
        Parser {
            text,
            lexer: Lexer::new(text),
            peeked: None,
            max_depth: limits.max_depth,
            depth: 0,
        }
    }

    fn peek(&mut self) -> Result<Option<&Token<'a>>> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        Ok(self.peeked.as_ref().and_then(Option::as_ref))
    }

    fn next(&mut self) -> Result<Option<Token<'a>>> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    /// Where a token starts; the end of the text for no token.
    fn position(&self, token: &Option<Token<'a>>) -> usize {
        token.as_ref().map_or(self.text.len(), |t| t.start)
    }

    /// Consumes the next token if it is the keyword `keyword` (any case).
    fn eat_keyword(&mut self, keyword: &str) -> Result<bool> {
        let found = matches!(
            self.peek()?,
            Some(Token { kind: Tok::Word(w), .. }) if w.eq_ignore_ascii_case(keyword)
        );
        if found {
            self.next()?;
        }
        Ok(found)
    }

    /// Opens a nesting level at `at`, failing past the limit.
    fn enter(&mut self, at: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(error(
                at,
                format!(
                    "the filter nests deeper than the limit of {} levels (each '(', 'not (' and '[' opens one)",
                    self.max_depth
                ),
            ));
        }
        Ok(())
    }

    /// `and_expr ("or" and_expr)*`, left-associative.
    fn or_expr(&mut self, scope: Scope<'a>) -> Result<Filter> {
        let mut left = self.and_expr(scope)?;
        while self.eat_keyword("or")? {
            let right = self.and_expr(scope)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `unary ("and" unary)*`, left-associative.
    fn and_expr(&mut self, scope: Scope<'a>) -> Result<Filter> {
        let mut left = self.unary(scope)?;
        while self.eat_keyword("and")? {
            let right = self.unary(scope)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `"not" "(" or_expr ")"`, `"(" or_expr ")"` or an attribute expression.
    fn unary(&mut self, scope: Scope<'a>) -> Result<Filter> {
        let token = self.next()?;
        match token {
            Some(Token {
                kind: Tok::LParen,
                start,
                ..
            }) => self.group(start, scope),
            Some(Token {
                kind: Tok::Word(w),
                start,
                ..
            }) if w.eq_ignore_ascii_case("not") => match self.next()? {
                Some(Token {
                    kind: Tok::LParen,
                    start,
                    ..
                }) => Ok(Filter::Not(Box::new(self.group(start, scope)?))),
                other => Err(error(
                    self.position(&other),
                    format!("expected '(' after 'not' (at position {start})"),
                )),
            },
            Some(Token {
                kind: Tok::Word(w),
                start,
                ..
            }) => self.attr_exp(w, start, scope),
            other => Err(error(self.position(&other), expected_expression(scope))),
        }
    }

    /// The rest of a group whose `(` is at `open`.
    fn group(&mut self, open: usize, scope: Scope<'a>) -> Result<Filter> {
        self.enter(open)?;
        let inner = self.or_expr(scope)?;
        match self.next()? {
            Some(Token {
                kind: Tok::RParen, ..
            }) => {
                self.depth -= 1;
                Ok(inner)
            }
            other => Err(error(
                self.position(&other),
                format!("expected 'and', 'or' or ')' to close the '(' at position {open}"),
            )),
        }
    }

    /// Reads `word` (starting at `start`) as an attribute path valid in `scope`.
    fn path(&self, word: &str, start: usize, scope: Scope<'a>) -> Result<AttrPath> {
        let path = AttrPath::parse(word).map_err(|e| error(start + e.offset, e.message))?;
        if let Scope::Within(attr) = scope {
            if path.urn.is_some() || path.sub_attr.is_some() {
                return Err(error(
                    start,
                    format!(
                        "inside '{attr}[...]' paths are sub-attribute names of '{attr}', without '.' or a URN"
                    ),
                ));
            }
        }
        Ok(path)
    }

    /// `path pr`, `path op value`, `path[valFilter]`, or Entra's `path[valFilter].sub op
    /// value`.
    fn attr_exp(&mut self, word: &'a str, start: usize, scope: Scope<'a>) -> Result<Filter> {
        let path = self.path(word, start, scope)?;
        let open = match self.peek()? {
            Some(Token {
                kind: Tok::LBracket,
                start,
                ..
            }) => *start,
            _ => return self.operator_tail(path, word),
        };
        self.next()?;
        let (filter, close_end) = self.value_filter(&path, word, open, scope)?;
        let filter = match self.sub_after(close_end)? {
            Some(sub) => {
                let described = &self.text[start..close_end + 1 + sub.len()];
                let tail = self.operator_tail(AttrPath::simple(sub), described)?;
                Filter::And(Box::new(filter), Box::new(tail))
            }
            None => filter,
        };
        Ok(Filter::ValuePath {
            attr: path,
            filter: Box::new(filter),
        })
    }

    /// The inside of `path[...]` whose `[` (already consumed) is at `open`; returns the
    /// filter and the end of the `]`.
    fn value_filter(
        &mut self,
        path: &AttrPath,
        word: &'a str,
        open: usize,
        scope: Scope<'a>,
    ) -> Result<(Filter, usize)> {
        if let Scope::Within(outer) = scope {
            return Err(error(
                open,
                format!("value filters cannot be nested: '{word}[' is inside '{outer}[...]'"),
            ));
        }
        if path.sub_attr.is_some() {
            return Err(error(
                open,
                format!("'[' must follow an attribute name, not the sub-attribute path '{word}'"),
            ));
        }
        self.enter(open)?;
        let filter = self.or_expr(Scope::Within(word))?;
        match self.next()? {
            Some(Token {
                kind: Tok::RBracket,
                end,
                ..
            }) => {
                self.depth -= 1;
                Ok((filter, end))
            }
            other => Err(error(
                self.position(&other),
                format!("expected 'and', 'or' or ']' to close the '[' at position {open}"),
            )),
        }
    }

    /// A `.sub` written right after the `]` that ends at `close_end`: its name.
    fn sub_after(&mut self, close_end: usize) -> Result<Option<&'a str>> {
        let word = match self.peek()? {
            Some(Token {
                kind: Tok::Word(w),
                start,
                ..
            }) if *start == close_end && w.starts_with('.') => *w,
            _ => return Ok(None),
        };
        self.next()?;
        let name = &word[1..];
        if !is_valid_attr_name(name) {
            return Err(error(
                close_end + 1,
                "expected a sub-attribute name after '].' (a letter, then letters, digits, '-' or '_')",
            ));
        }
        Ok(Some(name))
    }

    /// `pr` or `op value` after the path described by `after`.
    fn operator_tail(&mut self, path: AttrPath, after: &str) -> Result<Filter> {
        let token = self.next()?;
        let op = match &token {
            Some(Token {
                kind: Tok::Word(w), ..
            }) if w.eq_ignore_ascii_case("pr") => return Ok(Filter::Present(path)),
            Some(Token {
                kind: Tok::Word(w), ..
            }) => CompareOp::from_keyword(w),
            _ => None,
        };
        let Some(op) = op else {
            return Err(error(self.position(&token), expected_operator(after)));
        };
        let value = self.value(op)?;
        Ok(Filter::Compare { path, op, value })
    }

    /// The literal after `op`.
    fn value(&mut self, op: CompareOp) -> Result<CompValue> {
        let token = self.next()?;
        let expected = || {
            format!("expected a value after '{op}': a quoted string, a number, true, false or null")
        };
        let Some(Token { kind, start, .. }) = token else {
            return Err(error(self.text.len(), expected()));
        };
        match kind {
            Tok::Str(s) => Ok(CompValue::String(s)),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Ok(CompValue::Bool(true)),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Ok(CompValue::Bool(false)),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => Ok(CompValue::Null),
            Tok::Word(w) if w.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                if let Some(at) = number_syntax_error(w) {
                    return Err(error(
                        start + at,
                        format!(
                            "'{w}' is not a number: write numbers as JSON does (42, -1.5, 2e10)"
                        ),
                    ));
                }
                number(w)
                    .map(CompValue::Number)
                    .ok_or_else(|| error(start, format!("the number '{w}' is out of range")))
            }
            _ => Err(error(start, expected())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_number_grammar() {
        for ok in ["0", "-0", "42", "-1.5", "2e10", "1E+5", "1.25e-3"] {
            assert_eq!(number_syntax_error(ok), None, "{ok}");
        }
        for (bad, at) in [
            ("01", 1),
            ("1.", 2),
            ("1.e5", 2),
            ("-", 1),
            ("1e", 2),
            ("1e+", 3),
            ("12a", 2),
            ("-x", 1),
            ("0x10", 1),
        ] {
            assert_eq!(number_syntax_error(bad), Some(at), "{bad}");
        }
    }
}
