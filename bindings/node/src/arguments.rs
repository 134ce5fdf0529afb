//! Reading JavaScript arguments into Rust values, with the error a Node
//! developer expects: a `TypeError` for a wrong type, a `RangeError` for an
//! impossible number. `undefined` and `null` both mean "not given".
//!
//! Option and query objects are checked for unknown keys, so a misspelt
//! option (`timeout` for `timeoutMs`) fails loudly instead of silently
//! keeping a default.

use std::time::Duration;

use napi::bindgen_prelude::{BigInt, FromNapiValue, JsObjectValue, Object, Unknown};
use napi::{JsValue, ValueType, sys};

use crate::errors::ArgumentError;

/// A result whose error is an argument the binding cannot use.
pub(crate) type Checked<T> = Result<T, ArgumentError>;

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The most items an array argument may have (`experienceIds`,
/// `allowedCallbackHosts`, `cookieDomains`); more is a `RangeError`.
pub(crate) const MAX_ITEMS: u32 = 100_000;

/// One JavaScript value and the name it is reported under
/// (`"options.cache.ttlMs"`).
pub(crate) struct Arg<'env> {
    value: Unknown<'env>,
    name: String,
}

impl<'env> Arg<'env> {
    /// A value that was given; `None` for `undefined` or `null`.
    pub(crate) fn given(
        value: Option<Unknown<'env>>,
        name: impl Into<String>,
    ) -> Option<Arg<'env>> {
        let value = value?;
        match value.get_type() {
            Ok(ValueType::Undefined | ValueType::Null) => None,
            _ => Some(Arg {
                value,
                name: name.into(),
            }),
        }
    }

    /// A value that must be given.
    pub(crate) fn required(
        value: Option<Unknown<'env>>,
        name: &str,
        expected: &str,
    ) -> Checked<Arg<'env>> {
        Arg::given(value, name).ok_or_else(|| {
            ArgumentError::Type(format!("\"{name}\" must be {expected}, got nothing"))
        })
    }

    fn kind(&self) -> ValueType {
        self.value.get_type().unwrap_or(ValueType::Unknown)
    }

    fn wrong_type(&self, expected: &str) -> ArgumentError {
        let found = match self.kind() {
            ValueType::Boolean => "a boolean",
            ValueType::Number => "a number",
            ValueType::String => "a string",
            ValueType::Symbol => "a symbol",
            ValueType::Object if self.is_array() => "an array",
            ValueType::Object => "an object",
            ValueType::Function => "a function",
            ValueType::BigInt => "a bigint",
            _ => "an unsupported value",
        };
        ArgumentError::Type(format!("\"{}\" must be {expected}, got {found}", self.name))
    }

    fn out_of_range(&self, expected: &str) -> ArgumentError {
        ArgumentError::Range(format!("\"{}\" must be {expected}", self.name))
    }

    fn is_array(&self) -> bool {
        let mut result = false;
        let status = unsafe { sys::napi_is_array(self.env(), self.value.raw(), &mut result) };
        status == sys::Status::napi_ok && result
    }

    fn convert<T: FromNapiValue>(&self) -> Checked<T> {
        unsafe { T::from_napi_value(self.env(), self.value.raw()) }
            .map_err(|err| ArgumentError::unreadable(self.env(), &self.name, &err))
    }

    fn env(&self) -> sys::napi_env {
        self.value.value().env
    }

    /// A string.
    pub(crate) fn string(&self) -> Checked<String> {
        match self.kind() {
            ValueType::String => self.convert(),
            _ => Err(self.wrong_type("a string")),
        }
    }

    /// A function.
    pub(crate) fn function(&self) -> Checked<Unknown<'env>> {
        match self.kind() {
            ValueType::Function => Ok(self.value),
            _ => Err(self.wrong_type("a function or null")),
        }
    }

    /// A boolean.
    pub(crate) fn boolean(&self) -> Checked<bool> {
        match self.kind() {
            ValueType::Boolean => self.convert(),
            _ => Err(self.wrong_type("a boolean")),
        }
    }

    fn number(&self) -> Checked<f64> {
        match self.kind() {
            ValueType::Number => self.convert(),
            _ => Err(self.wrong_type("a number")),
        }
    }

    /// A number of milliseconds: finite and not negative; fractions keep
    /// their microseconds.
    pub(crate) fn millis(&self) -> Checked<Duration> {
        let millis = self.number()?;
        if !(0.0..=MAX_SAFE_INTEGER).contains(&millis) {
            return Err(self.out_of_range("a finite number of milliseconds >= 0"));
        }
        Ok(Duration::from_micros((millis * 1000.0).round() as u64))
    }

    /// A count: an integer from 0 to `Number.MAX_SAFE_INTEGER`.
    pub(crate) fn count(&self) -> Checked<u64> {
        let number = self.number()?;
        if number.fract() != 0.0 || !(0.0..=MAX_SAFE_INTEGER).contains(&number) {
            return Err(self.out_of_range("an integer >= 0"));
        }
        Ok(number as u64)
    }

    /// A count that fits a `u32`.
    pub(crate) fn small_count(&self) -> Checked<u32> {
        let count = self.count()?;
        u32::try_from(count).map_err(|_| self.out_of_range("an integer from 0 to 4294967295"))
    }

    /// A count that fits a `usize`.
    pub(crate) fn size(&self) -> Checked<usize> {
        let count = self.count()?;
        usize::try_from(count).map_err(|_| self.out_of_range("a smaller integer"))
    }

    /// An id: a safe integer >= 0, or a `BigInt` from 0 to 2^64 - 1 (ids
    /// arrive as a `BigInt` when they are beyond 2^53).
    pub(crate) fn id(&self) -> Checked<u64> {
        match self.kind() {
            ValueType::Number => self.count(),
            ValueType::BigInt => {
                let big: BigInt = self.convert()?;
                match big.get_u64() {
                    (false, value, true) => Ok(value),
                    _ => Err(self.out_of_range("a bigint from 0n to 18446744073709551615n")),
                }
            }
            _ => Err(self.wrong_type("a number or a bigint")),
        }
    }

    /// The items of an array of at most [`MAX_ITEMS`] items. The length is
    /// checked before any item is read, so a sparse array with a huge
    /// `length` fails at once instead of blocking the event loop.
    pub(crate) fn items(&self) -> Checked<Vec<Arg<'env>>> {
        if !self.is_array() {
            return Err(self.wrong_type("an array"));
        }
        let array: Object = self.convert()?;
        let length = array
            .get_array_length()
            .map_err(|err| ArgumentError::unreadable(self.env(), &self.name, &err))?;
        if length > MAX_ITEMS {
            return Err(self.out_of_range(&format!(
                "an array of at most {MAX_ITEMS} items, got {length}"
            )));
        }

        (0..length)
            .map(|index| {
                let name = format!("{}[{index}]", self.name);
                let item: Unknown = array
                    .get_element(index)
                    .map_err(|err| ArgumentError::unreadable(self.env(), &name, &err))?;
                Ok(Arg { value: item, name })
            })
            .collect()
    }

    /// An array of ids.
    pub(crate) fn ids(&self) -> Checked<Vec<u64>> {
        self.items()?.iter().map(Arg::id).collect()
    }

    /// An array of strings.
    pub(crate) fn strings(&self) -> Checked<Vec<String>> {
        self.items()?.iter().map(Arg::string).collect()
    }

    /// A plain object whose own keys are all among `known`.
    pub(crate) fn fields(&self, known: &[&str]) -> Checked<Fields<'env>> {
        let fields = self.object()?;
        fields.reject_unknown_keys(known)?;
        Ok(fields)
    }

    /// An object, any keys allowed.
    pub(crate) fn object(&self) -> Checked<Fields<'env>> {
        if self.kind() != ValueType::Object || self.is_array() {
            return Err(self.wrong_type("an object"));
        }
        Ok(Fields {
            object: self.convert()?,
            name: self.name.clone(),
        })
    }
}

/// An options or query object being read field by field.
pub(crate) struct Fields<'env> {
    object: Object<'env>,
    name: String,
}

impl<'env> Fields<'env> {
    /// The field `key`, if given.
    pub(crate) fn get(&self, key: &str) -> Checked<Option<Arg<'env>>> {
        let name = format!("{}.{key}", self.name);
        let value: Unknown = self
            .object
            .get_named_property(key)
            .map_err(|err| ArgumentError::unreadable(self.env(), &name, &err))?;
        Ok(Arg::given(Some(value), name))
    }

    fn env(&self) -> sys::napi_env {
        self.object.value().env
    }

    /// Applies `read` to the field `key` when it is given.
    pub(crate) fn read<T>(
        &self,
        key: &str,
        read: impl FnOnce(&Arg<'env>) -> Checked<T>,
    ) -> Checked<Option<T>> {
        self.get(key)?.as_ref().map(read).transpose()
    }

    fn reject_unknown_keys(&self, known: &[&str]) -> Checked<()> {
        let unreadable = |err: napi::Error| ArgumentError::unreadable(self.env(), &self.name, &err);
        let keys = self.object.get_property_names().map_err(unreadable)?;
        let length = keys.get_array_length().map_err(unreadable)?;

        for index in 0..length {
            let key: String = keys.get_element(index).map_err(unreadable)?;
            if !known.contains(&key.as_str()) {
                return Err(ArgumentError::Type(format!(
                    "\"{}\" has an unknown key \"{key}\"; the known keys are: {}",
                    self.name,
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }
}
