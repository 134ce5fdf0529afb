//! JSON text to JavaScript values, without losing integers.
//!
//! A payload reaches JavaScript as what `JSON.parse` would give, except
//! that an integer literal (no fraction, no exponent) outside
//! `Number.MIN_SAFE_INTEGER..=Number.MAX_SAFE_INTEGER` becomes a `BigInt`
//! holding exactly the digits sent, however many. Object keys are defined as
//! own data properties, as `JSON.parse` does, so a `"__proto__"` key is a
//! plain property and never changes the object's prototype. Strings are
//! decoded to UTF-16 code units as `JSON.parse` does, so an escaped lone
//! surrogate (`"\ud800"`) stays one.
//!
//! The text comes from the core, which has already checked it is JSON, but
//! the reader does not rely on it: malformed text, or nesting deeper than
//! [`MAX_DEPTH`] levels, fails cleanly with an error rather than a panic or
//! a stack overflow.

use std::ptr;

use napi::{Error, Result, Status, sys};

/// The largest integer a JavaScript number holds exactly, 2^53 - 1.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The deepest nesting of arrays and objects the reader follows; it
/// recurses once per level, so this bounds its stack.
pub(crate) const MAX_DEPTH: usize = 512;

/// Converts one JSON document to a JavaScript value.
pub(crate) fn to_js(env: sys::napi_env, text: &str) -> Result<sys::napi_value> {
    let mut parser = Parser {
        env,
        text,
        pos: 0,
        depth: 0,
    };

    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.pos != text.len() {
        return Err(parser.malformed());
    }
    Ok(value)
}

struct Parser<'a> {
    env: sys::napi_env,
    text: &'a str,
    pos: usize,
    /// Arrays and objects open around `pos`.
    depth: usize,
}

impl Parser<'_> {
    fn value(&mut self) -> Result<sys::napi_value> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.nested(Parser::object),
            Some(b'[') => self.nested(Parser::array),
            Some(b'"') => self.string(),
            Some(b't') => self.literal("true", |env| raw::boolean(env, true)),
            Some(b'f') => self.literal("false", |env| raw::boolean(env, false)),
            Some(b'n') => self.literal("null", raw::null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.malformed()),
        }
    }

    /// Reads an array or object one level deeper, if the limit allows.
    fn nested(
        &mut self,
        read: fn(&mut Self) -> Result<sys::napi_value>,
    ) -> Result<sys::napi_value> {
        if self.depth == MAX_DEPTH {
            return Err(self.error(&format!("JSON nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn object(&mut self) -> Result<sys::napi_value> {
        let object = raw::object(self.env)?;
        self.pos += 1;

        self.skip_whitespace();
        if self.eat(b'}') {
            return Ok(object);
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.malformed());
            }
            let key = self.string()?;
            self.skip_whitespace();
            self.expect(b':')?;
            let value = self.value()?;
            raw::define(self.env, object, key, value)?;

            self.skip_whitespace();
            if self.eat(b'}') {
                return Ok(object);
            }
            self.expect(b',')?;
        }
    }

    fn array(&mut self) -> Result<sys::napi_value> {
        let array = raw::array(self.env)?;
        self.pos += 1;

        self.skip_whitespace();
        if self.eat(b']') {
            return Ok(array);
        }
        for index in 0u32.. {
            let value = self.value()?;
            raw::set_index(self.env, array, index, value)?;

            self.skip_whitespace();
            if self.eat(b']') {
                break;
            }
            self.expect(b',')?;
        }
        Ok(array)
    }

    /// A string token, as a JavaScript string. One without escapes is
    /// created straight from its UTF-8 bytes; one with escapes is decoded to
    /// UTF-16 code units first.
    fn string(&mut self) -> Result<sys::napi_value> {
        let bytes = self.text.as_bytes();
        let start = self.pos + 1;
        let mut escaped = false;

        self.pos = start;
        loop {
            match bytes.get(self.pos) {
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 2;
                }
                Some(0x20..) => self.pos += 1,
                // The end of the text, or a control character (which JSON
                // requires to be escaped).
                _ => return Err(self.malformed()),
            }
        }
        let content = self
            .text
            .get(start..self.pos)
            .ok_or_else(|| self.malformed())?;
        self.pos += 1;

        match escaped {
            false => raw::string(self.env, content),
            true => {
                let units = unescape(content).ok_or_else(|| self.malformed())?;
                raw::string_utf16(self.env, &units)
            }
        }
    }

    fn number(&mut self) -> Result<sys::napi_value> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        while matches!(
            bytes.get(self.pos),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];

        if token.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            let number: f64 = token.parse().map_err(|_| self.malformed())?;
            return raw::number(self.env, number);
        }
        let (negative, digits) = match token.strip_prefix('-') {
            Some(digits) => (true, digits),
            None => (false, token),
        };
        let words = decimal_to_words(digits).ok_or_else(|| self.malformed())?;
        match words.as_slice() {
            [] => raw::number(self.env, if negative { -0.0 } else { 0.0 }),
            [small] if *small <= MAX_SAFE_INTEGER => {
                let magnitude = *small as f64;
                raw::number(self.env, if negative { -magnitude } else { magnitude })
            }
            _ => raw::bigint(self.env, negative, &words),
        }
    }

    fn literal(
        &mut self,
        word: &str,
        make: impl FnOnce(sys::napi_env) -> Result<sys::napi_value>,
    ) -> Result<sys::napi_value> {
        if !self.text.as_bytes()[self.pos..].starts_with(word.as_bytes()) {
            return Err(self.malformed());
        }
        self.pos += word.len();
        make(self.env)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Result<()> {
        match self.eat(byte) {
            true => Ok(()),
            false => Err(self.malformed()),
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn malformed(&self) -> Error {
        self.error("malformed JSON")
    }

    fn error(&self, what: &str) -> Error {
        Error::new(Status::InvalidArg, format!("{what} at byte {}", self.pos))
    }
}

/// The UTF-16 code units of a string token's content (between the quotes),
/// escapes decoded one code unit each as `JSON.parse` does: a `\uXXXX`
/// escape that is half of a surrogate pair stays that half. `None` for an
/// invalid escape.
fn unescape(content: &str) -> Option<Vec<u16>> {
    let mut units = Vec::with_capacity(content.len());
    let mut chars = content.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            units.extend_from_slice(c.encode_utf16(&mut [0; 2]));
            continue;
        }
        let unit = match chars.next()? {
            '"' => 0x22,
            '\\' => 0x5c,
            '/' => 0x2f,
            'b' => 0x08,
            'f' => 0x0c,
            'n' => 0x0a,
            'r' => 0x0d,
            't' => 0x09,
            'u' => {
                let mut unit = 0u16;
                for _ in 0..4 {
                    let digit = chars.next()?.to_digit(16)?;
                    unit = (unit << 4) | digit as u16;
                }
                unit
            }
            _ => return None,
        };
        units.push(unit);
    }
    Some(units)
}

/// The little-endian 64-bit words of a decimal integer, without leading
/// zero words (so zero is no words). `None` if a character is not a digit.
fn decimal_to_words(digits: &str) -> Option<Vec<u64>> {
    if digits.is_empty() {
        return None;
    }
    let mut words: Vec<u64> = Vec::new();

    for digit in digits.bytes() {
        let mut carry = u128::from(digit.checked_sub(b'0').filter(|d| *d <= 9)?);
        for word in &mut words {
            let product = u128::from(*word) * 10 + carry;
            *word = product as u64;
            carry = product >> 64;
        }
        if carry > 0 {
            words.push(carry as u64);
        }
    }
    Some(words)
}

/// Thin, checked wrappers over the Node-API calls that create values.
pub(crate) mod raw {
    use std::ffi::CStr;

    use super::*;
    use napi::check_status;

    /// A fresh `napi_value` slot filled by one Node-API call.
    pub(crate) fn make(
        call: impl FnOnce(*mut sys::napi_value) -> sys::napi_status,
    ) -> Result<sys::napi_value> {
        let mut value = ptr::null_mut();
        check_status!(call(&mut value))?;
        Ok(value)
    }

    pub(crate) fn string(env: sys::napi_env, text: &str) -> Result<sys::napi_value> {
        make(|out| unsafe {
            sys::napi_create_string_utf8(env, text.as_ptr().cast(), text.len() as isize, out)
        })
    }

    /// A string of UTF-16 code units, which may hold lone surrogates.
    pub(crate) fn string_utf16(env: sys::napi_env, units: &[u16]) -> Result<sys::napi_value> {
        make(|out| unsafe {
            sys::napi_create_string_utf16(env, units.as_ptr(), units.len() as isize, out)
        })
    }

    pub(crate) fn number(env: sys::napi_env, number: f64) -> Result<sys::napi_value> {
        make(|out| unsafe { sys::napi_create_double(env, number, out) })
    }

    /// A number when `value` is a safe integer, a `BigInt` otherwise.
    pub(crate) fn integer(env: sys::napi_env, value: u64) -> Result<sys::napi_value> {
        match value <= MAX_SAFE_INTEGER {
            true => number(env, value as f64),
            false => bigint(env, false, &[value]),
        }
    }

    pub(crate) fn bigint(
        env: sys::napi_env,
        negative: bool,
        words: &[u64],
    ) -> Result<sys::napi_value> {
        make(|out| unsafe {
            sys::napi_create_bigint_words(
                env,
                i32::from(negative),
                words.len(),
                words.as_ptr(),
                out,
            )
        })
    }

    pub(crate) fn boolean(env: sys::napi_env, value: bool) -> Result<sys::napi_value> {
        make(|out| unsafe { sys::napi_get_boolean(env, value, out) })
    }

    pub(crate) fn null(env: sys::napi_env) -> Result<sys::napi_value> {
        make(|out| unsafe { sys::napi_get_null(env, out) })
    }

    pub(crate) fn undefined(env: sys::napi_env) -> Result<sys::napi_value> {
        make(|out| unsafe { sys::napi_get_undefined(env, out) })
    }

    pub(crate) fn object(env: sys::napi_env) -> Result<sys::napi_value> {
        make(|out| unsafe { sys::napi_create_object(env, out) })
    }

    pub(crate) fn array(env: sys::napi_env) -> Result<sys::napi_value> {
        make(|out| unsafe { sys::napi_create_array(env, out) })
    }

    /// An array of strings.
    pub(crate) fn strings<S: AsRef<str>>(
        env: sys::napi_env,
        items: &[S],
    ) -> Result<sys::napi_value> {
        let list = array(env)?;
        for (index, item) in (0u32..).zip(items) {
            set_index(env, list, index, string(env, item.as_ref())?)?;
        }
        Ok(list)
    }

    /// An array of integers, each a number or a `BigInt` (see [`integer`]).
    pub(crate) fn integers(env: sys::napi_env, items: &[u64]) -> Result<sys::napi_value> {
        let list = array(env)?;
        for (index, item) in (0u32..).zip(items) {
            set_index(env, list, index, integer(env, *item)?)?;
        }
        Ok(list)
    }

    /// Sets a property whose name is a fixed identifier.
    pub(crate) fn set(
        env: sys::napi_env,
        object: sys::napi_value,
        name: &CStr,
        value: sys::napi_value,
    ) -> Result<()> {
        check_status!(unsafe { sys::napi_set_named_property(env, object, name.as_ptr(), value) })
    }

    /// Defines an own, enumerable, writable data property with any name,
    /// as `JSON.parse` does (no setter runs, not even `__proto__`'s).
    pub(crate) fn define(
        env: sys::napi_env,
        object: sys::napi_value,
        name: sys::napi_value,
        value: sys::napi_value,
    ) -> Result<()> {
        let descriptor = sys::napi_property_descriptor {
            utf8name: ptr::null(),
            name,
            method: None,
            getter: None,
            setter: None,
            value,
            attributes: sys::PropertyAttributes::writable
                | sys::PropertyAttributes::enumerable
                | sys::PropertyAttributes::configurable,
            data: ptr::null_mut(),
        };
        check_status!(unsafe { sys::napi_define_properties(env, object, 1, &descriptor) })
    }

    /// A strong reference to `value`, kept for the environment's lifetime.
    pub(crate) fn reference(env: sys::napi_env, value: sys::napi_value) -> Result<sys::napi_ref> {
        let mut reference = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_reference(env, value, 1, &mut reference) })?;
        Ok(reference)
    }

    /// The value a reference holds.
    pub(crate) fn referenced(
        env: sys::napi_env,
        reference: sys::napi_ref,
    ) -> Result<sys::napi_value> {
        let mut value = ptr::null_mut();
        check_status!(unsafe { sys::napi_get_reference_value(env, reference, &mut value) })?;
        Ok(value)
    }

    pub(crate) fn set_index(
        env: sys::napi_env,
        array: sys::napi_value,
        index: u32,
        value: sys::napi_value,
    ) -> Result<()> {
        check_status!(unsafe { sys::napi_set_element(env, array, index, value) })
    }
}
