//! Declaring parameters in `describe()` and reading them back from a request.

use crate::{Param, ParamSpec, ParamType, ParamValue};

/// Declares a float parameter called `name` with its default and a description, for
/// `describe()`. Read it with [`ParamsExt::float`].
///
/// ```ignore
/// info("csat", "1.0.0", "Share of 4–5 answers", vec![param_float("min_share", 0.5, "lowest share that counts")])
/// ```
pub fn param_float(name: &str, default: f64, description: &str) -> ParamSpec {
    spec(name, ParamType::Float, ParamValue::Float(default), description)
}

/// Declares an integer parameter called `name` with its default and a description, for
/// `describe()`. Read it with [`ParamsExt::int`].
pub fn param_int(name: &str, default: i64, description: &str) -> ParamSpec {
    spec(name, ParamType::Integer, ParamValue::Integer(default), description)
}

/// Declares a text parameter called `name` with its default and a description, for
/// `describe()`. Read it with [`ParamsExt::text`].
pub fn param_text(name: &str, default: &str, description: &str) -> ParamSpec {
    spec(name, ParamType::Text, ParamValue::Text(default.to_string()), description)
}

/// Declares a boolean parameter called `name` with its default and a description, for
/// `describe()`. Read it with [`ParamsExt::boolean`].
pub fn param_bool(name: &str, default: bool, description: &str) -> ParamSpec {
    spec(name, ParamType::Boolean, ParamValue::Boolean(default), description)
}

fn spec(name: &str, ty: ParamType, default: ParamValue, description: &str) -> ParamSpec {
    ParamSpec { name: name.to_string(), type_: ty, default, description: description.to_string() }
}

/// Typed access to a request's parameters. The host always passes every declared parameter
/// (the caller's value or the default) with the declared type, so a missing or mistyped one
/// is a bug in the plugin's `describe()`: it is reported as an error, not a panic.
///
/// Implemented for `[Param]`, so it reads any request's `params`:
///
/// ```ignore
/// let min_share = req.params.float("min_share")?;
/// let queues = req.params.text("queues")?;
/// ```
pub trait ParamsExt {
    /// The float parameter `name`; an integer value is converted to a float.
    fn float(&self, name: &str) -> Result<f64, String>;
    /// The integer parameter `name`.
    fn int(&self, name: &str) -> Result<i64, String>;
    /// The text parameter `name`.
    fn text(&self, name: &str) -> Result<&str, String>;
    /// The boolean parameter `name`.
    fn boolean(&self, name: &str) -> Result<bool, String>;
}

impl ParamsExt for [Param] {
    fn float(&self, name: &str) -> Result<f64, String> {
        match find(self, name)? {
            ParamValue::Float(v) => Ok(*v),
            ParamValue::Integer(v) => Ok(*v as f64),
            other => Err(mistyped(name, "float", other)),
        }
    }
    fn int(&self, name: &str) -> Result<i64, String> {
        match find(self, name)? {
            ParamValue::Integer(v) => Ok(*v),
            other => Err(mistyped(name, "integer", other)),
        }
    }
    fn text(&self, name: &str) -> Result<&str, String> {
        match find(self, name)? {
            ParamValue::Text(v) => Ok(v),
            other => Err(mistyped(name, "text", other)),
        }
    }
    fn boolean(&self, name: &str) -> Result<bool, String> {
        match find(self, name)? {
            ParamValue::Boolean(v) => Ok(*v),
            other => Err(mistyped(name, "boolean", other)),
        }
    }
}

fn find<'a>(params: &'a [Param], name: &str) -> Result<&'a ParamValue, String> {
    params.iter().find(|p| p.name == name).map(|p| &p.value).ok_or_else(|| format!("parameter `{name}` was not passed"))
}

fn mistyped(name: &str, wanted: &str, got: &ParamValue) -> String {
    format!("parameter `{name}` should be {wanted}, got {got:?}")
}
