//! JSON text straight to Python objects, in one pass and without a second
//! parse in Python.
//!
//! Payloads reach the binding as the exact JSON text the service sent, so
//! this reader can keep every integer exact at any size (as Python's own
//! `json` module does), which a parse into `serde_json::Value` could not.
//! Objects become `dict`, arrays `list`, strings `str`, integers `int`,
//! other numbers `float`, and `true`/`false`/`null` `True`/`False`/`None`.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

use crate::errors;

/// Deeper nesting than this is refused rather than risking the stack; the
/// core's decoder already stops at 128 levels.
const MAX_DEPTH: usize = 512;

/// Builds the Python value of a JSON text. Fails with `DecodeError` when
/// the text is not JSON (which the core's decoder already rules out).
pub fn to_python<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let mut reader = Reader { py, text, at: 0 };

    reader.skip_whitespace();
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.at != text.len() {
        return Err(reader.error("trailing characters"));
    }
    Ok(value)
}

struct Reader<'py, 'a> {
    py: Python<'py>,
    text: &'a str,
    at: usize,
}

impl<'py> Reader<'py, '_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn error(&self, what: &str) -> PyErr {
        let message = format!("payload is not valid JSON: {what} at byte {}", self.at);
        errors::to_py_err(self.py, &qubit_experiences::Error::Decode(message))
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> PyResult<()> {
        self.skip_whitespace();
        match self.peek() {
            Some(found) if found == byte => {
                self.at += 1;
                Ok(())
            }
            _ => Err(self.error(&format!("expected `{}`", byte as char))),
        }
    }

    fn value(&mut self, depth: usize) -> PyResult<Bound<'py, PyAny>> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }

        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(self.string()?.into_any()),
            Some(b't') => self.literal("true", PyBool::new(self.py, true).to_owned().into_any()),
            Some(b'f') => self.literal("false", PyBool::new(self.py, false).to_owned().into_any()),
            Some(b'n') => self.literal("null", self.py.None().into_bound(self.py)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        match self.text[self.at..].starts_with(word) {
            true => {
                self.at += word.len();
                Ok(value)
            }
            false => Err(self.error("expected a value")),
        }
    }

    fn object(&mut self, depth: usize) -> PyResult<Bound<'py, PyAny>> {
        let dict = PyDict::new(self.py);
        self.at += 1;

        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(dict.into_any());
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key"));
            }
            let key = self.string()?;
            self.expect(b':')?;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            dict.set_item(key, value)?;

            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(dict.into_any());
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> PyResult<Bound<'py, PyAny>> {
        let mut items = Vec::new();
        self.at += 1;

        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(PyList::empty(self.py).into_any());
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth + 1)?);

            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(PyList::new(self.py, items)?.into_any());
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    /// A string starting at the opening quote. Strings without escapes,
    /// the common case, are copied in one step.
    fn string(&mut self) -> PyResult<Bound<'py, PyString>> {
        let start = self.at + 1;
        let bytes = self.text.as_bytes();
        let mut end = start;
        while end < bytes.len() && bytes[end] != b'"' && bytes[end] != b'\\' {
            end += 1;
        }

        match bytes.get(end) {
            Some(b'"') => {
                self.at = end + 1;
                Ok(PyString::new(self.py, &self.text[start..end]))
            }
            Some(_) => self.escaped_string(start),
            None => Err(self.error("unterminated string")),
        }
    }

    fn escaped_string(&mut self, start: usize) -> PyResult<Bound<'py, PyString>> {
        let mut decoded = String::new();
        self.at = start;

        loop {
            let rest = &self.text[self.at..];
            let plain = rest
                .find(['"', '\\'])
                .ok_or_else(|| self.error("unterminated string"))?;
            decoded.push_str(&rest[..plain]);
            self.at += plain;

            if self.peek() == Some(b'"') {
                self.at += 1;
                return Ok(PyString::new(self.py, &decoded));
            }
            self.at += 1;
            match self.peek() {
                Some(b'u') => match self.unicode_escape()? {
                    Some(c) => decoded.push(c),
                    None => return self.string_with_lone_surrogate(start),
                },
                Some(escape) => {
                    decoded.push(match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        _ => return Err(self.error("unknown escape")),
                    });
                    self.at += 1;
                }
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// Reads `uXXXX` (and a following low surrogate); `None` for a lone
    /// surrogate, which a Rust string cannot hold.
    fn unicode_escape(&mut self) -> PyResult<Option<char>> {
        let high = self.hex4(self.at + 1)?;
        self.at += 5;
        if !(0xD800..0xDC00).contains(&high) {
            return Ok(char::from_u32(high));
        }

        if self.text[self.at..].starts_with("\\u") {
            let low = self.hex4(self.at + 2)?;
            if (0xDC00..0xE000).contains(&low) {
                self.at += 6;
                return Ok(char::from_u32(
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00),
                ));
            }
        }
        Ok(None)
    }

    fn hex4(&self, at: usize) -> PyResult<u32> {
        self.text
            .get(at..at + 4)
            .and_then(|digits| u32::from_str_radix(digits, 16).ok())
            .ok_or_else(|| self.error("bad \\u escape"))
    }

    /// Lone surrogates are legal JSON and Python strings can hold them:
    /// this rare case is left to Python's own `json` module.
    fn string_with_lone_surrogate(&mut self, start: usize) -> PyResult<Bound<'py, PyString>> {
        let bytes = self.text.as_bytes();
        let mut end = start;
        while end < bytes.len() && bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        let token = self
            .text
            .get(start - 1..end + 1)
            .ok_or_else(|| self.error("unterminated string"))?;

        let json = self.py.import("json")?;
        let value = json.call_method1("loads", (token,))?;
        self.at = end + 1;
        Ok(value.cast_into::<PyString>()?)
    }

    fn number(&mut self) -> PyResult<Bound<'py, PyAny>> {
        let start = self.at;
        let mut integral = true;
        while let Some(byte) = self.peek() {
            match byte {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => integral = false,
                _ => break,
            }
            self.at += 1;
        }
        let token = &self.text[start..self.at];

        if integral {
            if let Ok(small) = token.parse::<i64>() {
                return Ok(small.into_pyobject(self.py)?.into_any());
            }
            if let Ok(large) = token.parse::<u64>() {
                return Ok(large.into_pyobject(self.py)?.into_any());
            }
            if token
                .bytes()
                .skip(usize::from(token.starts_with('-')))
                .all(|b| b.is_ascii_digit())
                && token.len() > 1
            {
                // Beyond 64 bits: Python's int() reads the digits exactly.
                return self.py.get_type::<PyInt>().call1((token,));
            }
            return Err(self.error("malformed number"));
        }

        match token.parse::<f64>() {
            Ok(float) => Ok(PyFloat::new(self.py, float).into_any()),
            Err(_) => Err(self.error("malformed number")),
        }
    }
}
