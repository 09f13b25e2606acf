//! Wrangler vars and secrets → the core's [`Settings`].

use consent_edge::proxy::Settings;
use worker::Env;

thread_local! {
    /// This isolate's settings, read on its first request.
    static SETTINGS: std::cell::OnceCell<Settings> = const { std::cell::OnceCell::new() };
}

/// The settings, read once per isolate: a worker's vars and secrets are
/// fixed for the life of its isolate (a new deployment, var or secret
/// starts new isolates). Reading them is 14 names, each tried as a secret
/// then as a var: ≈ 28 crossings into JavaScript and an error value per
/// miss, ≈ 0.05–0.11 ms of every request in workerd on a loaded machine
/// (docs/BENCHMARKS.md, "Where consent-edge's time goes (stop 12)"). A
/// clone of the isolate's copy (a few short strings) keeps the callers'
/// owned `Settings`.
pub fn settings(env: &Env) -> Settings {
    SETTINGS.with(|s| s.get_or_init(|| read(env)).clone())
}

/// Reads the settings: a secret of a name wins over a var of that name.
fn read(env: &Env) -> Settings {
    Settings::from_lookup(|name| {
        env.secret(name)
            .map(|v| v.to_string())
            .or_else(|_| env.var(name).map(|v| v.to_string()))
            .ok()
    })
}
