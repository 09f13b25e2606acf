//! Wrangler vars and secrets → the core's [`Settings`].

use crate::proxy::Settings;
use worker::Env;

/// Reads the settings: a secret of a name wins over a var of that name.
pub fn settings(env: &Env) -> Settings {
    Settings::from_lookup(|name| {
        env.secret(name)
            .map(|v| v.to_string())
            .or_else(|_| env.var(name).map(|v| v.to_string()))
            .ok()
    })
}
