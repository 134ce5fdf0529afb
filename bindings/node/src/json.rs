//! JSON text to JavaScript values, without losing integers.
//!
//! A payload reaches JavaScript as what `JSON.parse` would give, except
//! that an integer literal (no fraction, no exponent) outside
//! `Number.MIN_SAFE_INTEGER..=Number.MAX_SAFE_INTEGER` becomes a `BigInt`
//! holding exactly the digits sent, however many. Object keys are defined as
//! own data properties, as `JSON.parse` does, so a `"__proto__"` key is a
//! plain property and never changes the object's prototype.
//!
//! The text comes from the core, which has already checked it is JSON, and
//! nesting depth is bounded by the core's parser (128 levels); malformed
//! text still fails cleanly with an error rather than a panic.

use std::ptr;

use napi::{Error, Result, Status, sys};

/// The largest integer a JavaScript number holds exactly, 2^53 - 1.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Converts one JSON document to a JavaScript value.
pub(crate) fn to_js(env: sys::napi_env, text: &str) -> Result<sys::napi_value> {
    let mut parser = Parser { env, text, pos: 0 };

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
}

impl Parser<'_> {
    fn value(&mut self) -> Result<sys::napi_value> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let text = self.string()?;
                raw::string(self.env, &text)
            }
            Some(b't') => self.literal("true", |env| raw::boolean(env, true)),
            Some(b'f') => self.literal("false", |env| raw::boolean(env, false)),
            Some(b'n') => self.literal("null", raw::null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.malformed()),
        }
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
            let key = self.string()?;
            self.skip_whitespace();
            self.expect(b':')?;
            let value = self.value()?;
            raw::define(self.env, object, &key, value)?;

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

    /// A string token, unescaped. Only strings with escapes pay for
    /// serde_json's unescaping.
    fn string(&mut self) -> Result<String> {
        if self.peek() != Some(b'"') {
            return Err(self.malformed());
        }
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut escaped = false;

        self.pos += 1;
        loop {
            match bytes.get(self.pos) {
                None => return Err(self.malformed()),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 2;
                }
                Some(_) => self.pos += 1,
            }
        }
        self.pos += 1;

        let token = self
            .text
            .get(start..self.pos)
            .ok_or_else(|| self.malformed())?;
        match escaped {
            false => Ok(token[1..token.len() - 1].to_owned()),
            true => serde_json::from_str(token).map_err(|_| self.malformed()),
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
        if !self.text[self.pos..].starts_with(word) {
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
        Error::new(
            Status::InvalidArg,
            format!("malformed JSON at byte {}", self.pos),
        )
    }
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
        name: &str,
        value: sys::napi_value,
    ) -> Result<()> {
        let descriptor = sys::napi_property_descriptor {
            utf8name: ptr::null(),
            name: string(env, name)?,
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
