//! Text fields: a writer for outbound messages and a bounds-checked reader for requests.

use std::borrow::Cow;

use super::super::codec::DecodeError;

/// The largest double, which IB uses for "unset".
const UNSET_DOUBLE: f64 = f64::MAX;
/// The largest int, which IB uses for "unset" (clients may send it instead of `""`).
const UNSET_INTEGER: i64 = i32::MAX as i64;

/// Splits a body on `\0`. Every field ends with `\0`, so the piece after the last one is empty
/// and dropped; a body that does not end with `\0` keeps its last piece.
pub(super) fn split(body: &[u8]) -> Vec<Cow<'_, str>> {
    let mut parts: Vec<Cow<'_, str>> = body.split(|&b| b == 0).map(String::from_utf8_lossy).collect();
    if body.last() == Some(&0) || body.is_empty() {
        parts.pop();
    }
    parts
}

/// A double as text: `""` when unset (absent, `f64::MAX` or not finite); otherwise the shortest
/// text that reads back exactly, with a decimal point like TWS's Java and ib_async's Python
/// (`151.0`, `0.01`, `1e-7`).
pub(super) fn double(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() && x != UNSET_DOUBLE => format!("{x:?}"),
        _ => String::new(),
    }
}

/// Builds one outbound message.
pub(super) struct Out {
    buf: Vec<u8>,
}

impl Out {
    pub(super) fn new(msg_id: i32) -> Self {
        let mut out = Out { buf: Vec::with_capacity(64) };
        out.int(msg_id);
        out
    }

    /// A string field; NULs inside would split it, so they are dropped.
    pub(super) fn str(&mut self, s: &str) -> &mut Self {
        self.buf.extend(s.bytes().filter(|&b| b != 0));
        self.buf.push(0);
        self
    }

    pub(super) fn opt_str(&mut self, s: &Option<String>) -> &mut Self {
        self.str(s.as_deref().unwrap_or(""))
    }

    pub(super) fn int(&mut self, v: impl Into<i64>) -> &mut Self {
        self.str(&v.into().to_string())
    }

    /// A double field, `""` when unset.
    pub(super) fn dbl(&mut self, v: Option<f64>) -> &mut Self {
        self.str(&double(v))
    }

    pub(super) fn flag(&mut self, b: bool) -> &mut Self {
        self.str(if b { "1" } else { "0" })
    }

    /// `n` empty fields.
    pub(super) fn empty(&mut self, n: usize) -> &mut Self {
        for _ in 0..n {
            self.str("");
        }
        self
    }

    pub(super) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

/// Reads the fields of one request in order. Every read is bounds-checked and every parse
/// failure is a [`DecodeError::TextField`] naming the message and the field.
pub(super) struct Cursor<'a> {
    msg_id: i32,
    fields: Vec<Cow<'a, str>>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// The cursor and the message id; the cursor stands on the field after the id.
    pub(super) fn new(body: &'a [u8]) -> Result<(i32, Self), DecodeError> {
        let fields = split(body);
        let first = fields.first().map(|f| f.trim().to_string()).unwrap_or_default();
        let msg_id = first.parse::<i32>().map_err(|_| DecodeError::TextMessageId(first.chars().take(32).collect()))?;
        Ok((msg_id, Cursor { msg_id, fields, pos: 1 }))
    }

    fn err(&self, index: usize, field: &'static str, what: String) -> DecodeError {
        DecodeError::TextField { msg_id: self.msg_id, index, field, what }
    }

    /// The next field as it is.
    pub(super) fn raw(&mut self, name: &'static str) -> Result<&str, DecodeError> {
        let index = self.pos;
        match self.fields.get(index) {
            Some(f) => {
                self.pos += 1;
                Ok(f.as_ref())
            }
            None => Err(self.err(index, name, "is missing".into())),
        }
    }

    /// The next field if there is one (trailing fields added in later versions).
    pub(super) fn optional(&mut self) -> Option<&str> {
        let f = self.fields.get(self.pos)?;
        self.pos += 1;
        Some(f.as_ref())
    }

    /// A string, `None` when empty.
    pub(super) fn opt_string(&mut self, name: &'static str) -> Result<Option<String>, DecodeError> {
        let s = self.raw(name)?;
        Ok((!s.is_empty()).then(|| s.to_string()))
    }

    fn parse_int(&mut self, name: &'static str) -> Result<Option<i64>, DecodeError> {
        let index = self.pos;
        let s = self.raw(name)?.trim().to_string();
        if s.is_empty() {
            return Ok(None);
        }
        match s.parse::<i64>() {
            Ok(v) if v == UNSET_INTEGER => Ok(None),
            Ok(v) => Ok(Some(v)),
            Err(_) => Err(self.err(index, name, format!("is not an integer: {:?}", truncate(&s)))),
        }
    }

    /// An int, `None` when empty or unset.
    pub(super) fn int(&mut self, name: &'static str) -> Result<Option<i32>, DecodeError> {
        let index = self.pos;
        match self.parse_int(name)? {
            None => Ok(None),
            Some(v) => i32::try_from(v).map(Some).map_err(|_| self.err(index, name, format!("{v} is out of range"))),
        }
    }

    /// An int that must be present.
    pub(super) fn req_int(&mut self, name: &'static str) -> Result<i32, DecodeError> {
        let index = self.pos;
        self.int(name)?.ok_or_else(|| self.err(index, name, "is empty".into()))
    }

    /// A double, `None` when empty or unset; `Infinite` is +infinity.
    pub(super) fn double(&mut self, name: &'static str) -> Result<Option<f64>, DecodeError> {
        let index = self.pos;
        let s = self.raw(name)?.trim().to_string();
        if s.is_empty() {
            return Ok(None);
        }
        if s == "Infinite" {
            return Ok(Some(f64::INFINITY));
        }
        match s.parse::<f64>() {
            Ok(v) if v == UNSET_DOUBLE => Ok(None),
            Ok(v) => Ok(Some(v)),
            Err(_) => Err(self.err(index, name, format!("is not a number: {:?}", truncate(&s)))),
        }
    }

    /// A boolean sent as an int; empty is false.
    pub(super) fn flag(&mut self, name: &'static str) -> Result<bool, DecodeError> {
        Ok(self.parse_int(name)?.is_some_and(|v| v != 0))
    }

    /// Skips `n` fields that must be present.
    pub(super) fn skip(&mut self, n: usize, name: &'static str) -> Result<(), DecodeError> {
        for _ in 0..n {
            self.raw(name)?;
        }
        Ok(())
    }

    /// A count of repeated groups, bounded by the fields left so that a huge count fails at
    /// once instead of looping.
    pub(super) fn count(&mut self, name: &'static str, fields_each: usize) -> Result<usize, DecodeError> {
        let index = self.pos;
        let n = self.int(name)?.unwrap_or(0);
        let left = self.fields.len().saturating_sub(self.pos);
        match usize::try_from(n) {
            Ok(n) if n.saturating_mul(fields_each) <= left => Ok(n),
            _ => Err(self.err(index, name, format!("{n} does not fit the {left} fields left"))),
        }
    }

    /// The field at absolute index `i` (for peeking at a request id), if any.
    pub(super) fn at(&self, i: usize) -> Option<&str> {
        self.fields.get(i).map(|f| f.as_ref())
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_drops_only_the_terminator_piece() {
        assert_eq!(split(b"9\x001\x0042\x00"), vec!["9", "1", "42"]);
        assert_eq!(split(b"4\x002\x00-1\x00\x00"), vec!["4", "2", "-1", ""]);
        assert_eq!(split(b"5\x001"), vec!["5", "1"]);
        assert!(split(b"").is_empty());
    }

    #[test]
    fn writer_formats_unset_values_as_empty() {
        let mut o = Out::new(7);
        o.dbl(None).dbl(Some(f64::MAX)).dbl(Some(1.5)).str("").int(-1).flag(true);
        o.str("a\0b");
        assert_eq!(o.finish(), b"7\x00\x00\x001.5\x00\x00-1\x001\x00ab\x00".to_vec());
        assert_eq!(double(Some(151.0)), "151.0");
        assert_eq!(double(Some(f64::INFINITY)), "");
    }

    #[test]
    fn cursor_names_the_field_that_fails() {
        let (id, mut c) = Cursor::new(b"8\x001\x00x\x00").expect("id");
        assert_eq!(id, 8);
        assert_eq!(c.int("version"), Ok(Some(1)));
        let e = c.int("numIds").expect_err("not a number");
        assert!(matches!(e, DecodeError::TextField { msg_id: 8, index: 2, field: "numIds", .. }), "{e:?}");
        assert!(matches!(c.raw("more"), Err(DecodeError::TextField { index: 3, .. })));
        assert!(matches!(Cursor::new(b"abc\x00"), Err(DecodeError::TextMessageId(_))));
        assert!(matches!(Cursor::new(b""), Err(DecodeError::TextMessageId(_))));
    }

    #[test]
    fn cursor_bounds_counts_by_the_fields_left() {
        let (_, mut c) = Cursor::new(b"1\x002000000000\x00a\x00").expect("id");
        assert!(c.count("legs", 4).is_err());
        let (_, mut c) = Cursor::new(b"1\x001\x00a\x00b\x00").expect("id");
        assert_eq!(c.count("params", 2), Ok(1));
        let (_, mut c) = Cursor::new(b"1\x00-3\x00").expect("id");
        assert!(c.count("legs", 1).is_err());
    }
}
