//! A validated value as a Rust expression that builds it, for `build.rs`:
//! the worker embeds its settings as code, so nothing is deserialised when
//! an isolate starts (issue 16 item 1: nothing parsed at request time that
//! can be computed at build time).
//!
//! A [`serde::Serializer`] that writes Rust syntax instead of a data
//! format. The expression names types by their bare names (the includer
//! brings them into scope with glob imports) and writes every string as
//! `lit("…")`, a function the includer provides (`lit` builds a `String`
//! or, for a field whose `Serialize` writes a string, that type). So the
//! output is checked by the Rust compiler against the real types: a field
//! or variant it cannot name is a build error, never a silent default.
//!
//! What serde does not tell a serializer, and how it is handled:
//! - an enum variant's Rust name: serde gives the renamed one (`opt-in`,
//!   `bottom-left`, `snake_case`); it is turned back into `PascalCase`;
//! - fields skipped when serialising: `skip_serializing_if` ones arrive as
//!   `SerializeStruct::skip_field` and are written as `Default::default()`
//!   (what `Option::is_none`, `Vec::is_empty`, `is_default` skip), except
//!   the few listed in [`SKIPPED_AS`] (`library_cdns` is skipped when
//!   `true`); `#[serde(skip)]` ones are not announced at all and are listed
//!   in [`SKIPPED`];
//! - maps are written as `map_of([(k, v), …])`, a function the includer
//!   provides like `lit` (it inserts the pairs one by one: `from_iter` into
//!   a B-tree would sort them first, one more sort in the wasm per map
//!   type).
//!
//! The worker's tests compare the value the expression builds with the one
//! parsed from the TOML, field for field.

use serde::ser::{self, Serialize};
use std::fmt::{self, Display, Write};

/// Fields marked `#[serde(skip)]`, which serde never mentions: (struct,
/// field), written as `Default::default()`.
pub const SKIPPED: &[(&str, &str)] = &[("Vendor", "allowed")];

/// Fields whose `skip_serializing_if` skips a value other than the type's
/// `Default`: (struct, field, the value skipped).
pub const SKIPPED_AS: &[(&str, &str, &str)] = &[("TrackerSettings", "library_cdns", "true")];

/// The value of a field serde skipped (see [`SKIPPED_AS`]).
fn skipped_value(name: &str, key: &str) -> &'static str {
    SKIPPED_AS
        .iter()
        .find(|(s, f, _)| *s == name && *f == key)
        .map_or("::core::default::Default::default()", |(_, _, v)| v)
}

/// `value` as a Rust expression (see the module docs).
pub fn to_rust<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut w = Writer { out: String::new() };
    value.serialize(&mut w)?;
    Ok(w.out)
}

/// A value this writer cannot express in Rust (a non-finite float, a map
/// key that is not a plain value).
#[derive(Debug, thiserror::Error)]
#[error("Rust literal: {0}")]
pub struct Error(String);

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// `opt-in`, `bottom_left`, `consent` → `OptIn`, `BottomLeft`, `Consent`.
fn pascal(variant: &str) -> String {
    variant
        .split(['-', '_'])
        .flat_map(|word| {
            let mut c = word.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase())
                .into_iter()
                .chain(c)
        })
        .collect()
}

struct Writer {
    out: String,
}

impl Writer {
    fn put(&mut self, s: impl Display) -> Result<(), Error> {
        write!(self.out, "{s}").map_err(|e: fmt::Error| Error(e.to_string()))
    }

    /// Writes a compound's opening text and returns it, to be closed with
    /// `close`; `name` is a struct's, for its skipped fields (else "").
    fn open(
        &mut self,
        opening: impl Display,
        close: &'static str,
        name: &'static str,
    ) -> Result<Compound<'_>, Error> {
        self.put(opening)?;
        Ok(Compound {
            w: self,
            close,
            name,
        })
    }
}

/// A sequence, tuple, map or struct being written: its closing text.
struct Compound<'a> {
    w: &'a mut Writer,
    close: &'static str,
    name: &'static str,
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.w)?;
        self.w.put(", ")
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> Result<(), Error> {
        self.w.put(format_args!("{key}: "))?;
        self.element(v)
    }

    fn end(self) -> Result<(), Error> {
        for (_, field) in SKIPPED.iter().filter(|(s, _)| *s == self.name) {
            self.w.put(format_args!(
                "{field}: ::core::default::Default::default(), "
            ))?;
        }
        self.w.put(self.close)
    }
}

macro_rules! plain {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> Result<(), Error> {
            self.put(v)
        })*
    };
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    plain!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64);

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(Error(format!("{v} has no literal")));
        }
        self.put(format_args!("{v:?}"))
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.put(format_args!("{v:?}"))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        // `{:?}` of a str is a valid Rust string literal (escapes included).
        self.put(format_args!("lit({v:?})"))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.put(format_args!("::std::vec!{v:?}"))
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.put("None")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        self.put("Some(")?;
        v.serialize(&mut *self)?;
        self.put(")")
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.put("()")
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), Error> {
        self.put(name)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.put(format_args!("{name}::{}", pascal(variant)))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.put(format_args!("{name}("))?;
        v.serialize(&mut *self)?;
        self.put(")")
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.put(format_args!("{name}::{}(", pascal(variant)))?;
        v.serialize(&mut *self)?;
        self.put(")")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open("::std::vec![", "]", "")
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Error> {
        self.open("(", ")", "")
    }
    fn serialize_tuple_struct(self, name: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        self.open(format_args!("{name}("), ")", "")
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Error> {
        self.open(format_args!("{name}::{}(", pascal(variant)), ")", "")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open("map_of([", "])", "")
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        self.open(format_args!("{name} {{ "), "}", name)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Error> {
        self.open(format_args!("{name}::{} {{ ", pascal(variant)), "}", "")
    }
}

/// The compounds whose items are written one after the other (a sequence,
/// a tuple, a tuple struct or variant): the same two methods each.
macro_rules! element_compound {
    ($($trait:ident::$method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
                self.element(v)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        }
    )*};
}

element_compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        self.w.put("(")?;
        k.serialize(&mut *self.w)?;
        self.w.put(", ")
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.w)?;
        self.w.put("), ")
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

/// The compounds written as named fields (a struct, a struct variant): the
/// same three methods each; a field serde skips is written with its value
/// from [`skipped_value`].
macro_rules! field_compound {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                v: &T,
            ) -> Result<(), Error> {
                self.field(key, v)
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), Error> {
                let value = skipped_value(self.name, key);
                self.w.put(format_args!("{key}: {value}, "))
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        }
    )*};
}

field_compound!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Model, Position};

    #[test]
    fn variants_are_named_back() {
        assert_eq!(pascal("opt-in"), "OptIn");
        assert_eq!(pascal("bottom_left"), "BottomLeft");
        assert_eq!(pascal("consent"), "Consent");
        assert_eq!(to_rust(&Model::OptIn).unwrap(), "Model::OptIn");
        assert_eq!(to_rust(&Position::Top).unwrap(), "Position::Top");
    }

    #[test]
    fn strings_options_and_structs() {
        assert_eq!(to_rust("a\"b\n").unwrap(), r#"lit("a\"b\n")"#);
        assert_eq!(to_rust(&Some(3u32)).unwrap(), "Some(3)");
        assert_eq!(to_rust(&None::<u32>).unwrap(), "None");
        assert_eq!(to_rust(&vec![1u8, 2]).unwrap(), "::std::vec![1, 2, ]");
        let policy = to_rust(&crate::Policy::default()).unwrap();
        assert_eq!(
            policy,
            r#"Policy { revision: 1, url: lit("/cookie-policy"), }"#
        );
        assert!(to_rust(&f64::NAN).is_err());
    }

    #[test]
    fn skipped_fields_are_defaulted() {
        let strings = crate::Strings::default();
        let out = to_rust(&strings).unwrap();
        assert!(out.starts_with("Strings { "), "{out}");
        assert!(
            out.contains("title: ::core::default::Default::default(), "),
            "{out}"
        );
        let trackers = to_rust(&crate::TrackerSettings::default()).unwrap();
        assert!(trackers.contains("library_cdns: true, "), "{trackers}");
        // A whole configuration: every section written.
        let out = to_rust(&Config::default()).unwrap();
        for section in [
            "policy: Policy {",
            "jurisdictions: Jurisdictions {",
            "cache: ",
        ] {
            assert!(out.contains(section), "{section}: {out}");
        }
    }
}
