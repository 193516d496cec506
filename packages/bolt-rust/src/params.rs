//! Typed path and query parameters converted before the GIL is taken (the contract's
//! `ParamSpec` fast path).
//!
//! bolt-api publishes, for routes whose handler takes only plain `str`/`int` values from the
//! path or the query, how to find and convert each one. This module does that in Rust and
//! the values reach bolt-api as `request.bound`; the
//! rules are narrower than bolt-api's binder on purpose: whatever is accepted here, the binder
//! would turn into the same value. Anything else — a missing required value, `"007"`, `"1e3"`,
//! a value longer than the limit — returns `None`: `request.bound` stays `None` and bolt-api
//! binds the request, converting it or answering 422. No error is produced here.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyDict, PyString};

/// Where a parameter comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Path,
    Query,
}

/// How its text becomes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
}

/// `bolt_api.engine.ParamSpec`, as bolt-api publishes it.
#[derive(FromPyObject)]
pub struct ParamSpec {
    #[pyo3(from_py_with = interned)]
    name: Py<PyString>,
    source: String,
    key: String,
    kind: String,
    required: bool,
    default: Py<PyAny>,
    max_length: usize,
}

impl ParamSpec {
    /// An optional `str` query parameter read from `key` into the keyword `key` (the
    /// protocol tables' hook, `crate::testing::bound_query`).
    pub fn optional_query_str(py: Python<'_>, key: &str) -> Self {
        Self {
            name: PyString::intern(py, key).unbind(),
            source: "query".to_owned(),
            key: key.to_owned(),
            kind: "str".to_owned(),
            required: false,
            default: py.None(),
            max_length: usize::MAX,
        }
    }
}

/// The handler's keyword as an interned string: the key of every `request.bound` dict.
fn interned(obj: &Bound<'_, PyAny>) -> PyResult<Py<PyString>> {
    let name: PyBackedStr = obj.extract()?;
    Ok(PyString::intern(obj.py(), &name).unbind())
}

struct Spec {
    /// The handler's keyword, a Python string made once.
    name: Py<PyString>,
    source: Source,
    key: String,
    kind: Kind,
    required: bool,
    default: Py<PyAny>,
    max_length: usize,
}

/// A converted value, still without Python objects.
enum Value {
    Str(String),
    Int(i64),
    /// The spec's default (the parameter was absent).
    Default,
}

/// A route's parameter specs.
pub struct Params {
    specs: Vec<Spec>,
    any_query: bool,
}

/// The values of one request, in spec order.
pub struct Converted(Vec<Value>);

impl Params {
    /// Check the specs bolt-api sent; an unknown source or kind is a start-up error.
    pub fn new(published: Vec<ParamSpec>) -> Result<Self, String> {
        let mut specs = Vec::with_capacity(published.len());
        for ParamSpec {
            name,
            source,
            key,
            kind,
            required,
            default,
            max_length,
        } in published
        {
            let source = match source.as_str() {
                "path" => Source::Path,
                "query" => Source::Query,
                other => return Err(format!("unknown parameter source {other:?}")),
            };
            let kind = match kind.as_str() {
                "str" => Kind::Str,
                "int" => Kind::Int,
                other => return Err(format!("unknown parameter kind {other:?}")),
            };
            specs.push(Spec {
                name,
                source,
                key,
                kind,
                required,
                default,
                max_length,
            });
        }
        let any_query = specs.iter().any(|s| s.source == Source::Query);
        Ok(Self { specs, any_query })
    }

    /// Convert every parameter of this request, or `None` when bolt-api must decide.
    /// `path` holds the decoded path parameters; `query` is the raw query string.
    pub fn convert(&self, path: Option<&[(String, String)]>, query: &str) -> Option<Converted> {
        // The query is decoded once, keeping per spec the last value of its key (the last
        // repeat wins, as in `Request.query`).
        let mut from_query: Vec<Option<Cow<'_, str>>> = Vec::new();
        if self.any_query && !query.is_empty() {
            from_query.resize(self.specs.len(), None);
            for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                for (i, spec) in self.specs.iter().enumerate() {
                    if spec.source == Source::Query && spec.key == key {
                        from_query[i] = Some(value.clone());
                    }
                }
            }
        }
        let mut values = Vec::with_capacity(self.specs.len());
        for (i, spec) in self.specs.iter().enumerate() {
            let raw: Option<&str> = match spec.source {
                Source::Path => path?
                    .iter()
                    .find(|(k, _)| *k == spec.key)
                    .map(|(_, v)| v.as_str()),
                Source::Query => from_query.get(i).and_then(|v| v.as_deref()),
            };
            let Some(raw) = raw else {
                if spec.required {
                    return None;
                }
                values.push(Value::Default);
                continue;
            };
            if raw.len() > spec.max_length {
                return None;
            }
            values.push(match spec.kind {
                Kind::Str => Value::Str(raw.to_owned()),
                Kind::Int => Value::Int(parse_int(raw)?),
            });
        }
        Some(Converted(values))
    }

    /// The keyword arguments, for `request.bound`.
    pub fn kwargs<'py>(
        &self,
        py: Python<'py>,
        converted: Converted,
    ) -> PyResult<Bound<'py, PyDict>> {
        let kwargs = PyDict::new(py);
        for (spec, value) in self.specs.iter().zip(converted.0) {
            let name = spec.name.bind(py);
            match value {
                Value::Str(s) => kwargs.set_item(name, s)?,
                Value::Int(n) => kwargs.set_item(name, n)?,
                Value::Default => kwargs.set_item(name, spec.default.bind(py))?,
            }
        }
        Ok(kwargs)
    }
}

/// `-?(0|[1-9][0-9]{0,17})` as an `i64`; anything else (leading zeros, `+`, blanks,
/// exponents, more digits) is left to bolt-api.
fn parse_int(raw: &str) -> Option<i64> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    let bytes = digits.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 18
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes[0] != b'0' || bytes.len() == 1);
    if !valid {
        return None;
    }
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse_int;

    #[test]
    fn ints_taken_here_are_the_ones_msgspec_reads_the_same() {
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("-0"), Some(0));
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("-42"), Some(-42));
        assert_eq!(
            parse_int("999999999999999999"),
            Some(999_999_999_999_999_999)
        );
        assert_eq!(
            parse_int("-999999999999999999"),
            Some(-999_999_999_999_999_999)
        );
    }

    #[test]
    fn everything_else_is_left_to_bolt_api() {
        for raw in [
            "",
            "-",
            "+5",
            " 5",
            "5 ",
            "007",
            "00",
            "-01",
            "1_000",
            "42.0",
            "1e3",
            "0x10",
            "1000000000000000000",
            "99999999999999999999",
            "٣",
            "--1",
        ] {
            assert_eq!(parse_int(raw), None, "{raw:?}");
        }
    }
}
