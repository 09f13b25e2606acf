//! wrangler.toml: no deployable environment is also served on a
//! `*.workers.dev` host or a preview URL (security review C9, issue 15.7),
//! where the site and its admin endpoints would bypass the zone's routes.

fn wrangler() -> toml::Table {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/wrangler.toml"))
        .expect("wrangler.toml");
    text.parse().expect("wrangler.toml is TOML")
}

/// The value of `key` in `env` (or the top level when `env` is `None`).
fn flag(cfg: &toml::Table, env: Option<&str>, key: &str) -> Option<bool> {
    let table = match env {
        Some(e) => cfg["env"][e].as_table().expect("an env table"),
        None => cfg,
    };
    table.get(key).and_then(toml::Value::as_bool)
}

#[test]
fn every_deployable_environment_disables_workers_dev_and_preview_urls() {
    let cfg = wrangler();
    let envs: Vec<&str> = cfg["env"]
        .as_table()
        .expect("[env.*] tables")
        .keys()
        .map(String::as_str)
        .filter(|e| *e != "dev")
        .collect();
    assert!(
        envs.contains(&"production") && envs.contains(&"staging"),
        "{envs:?}"
    );
    for key in ["workers_dev", "preview_urls"] {
        assert_eq!(flag(&cfg, None, key), Some(false), "top level: {key}");
        for env in &envs {
            assert_eq!(flag(&cfg, Some(env), key), Some(false), "[env.{env}] {key}");
        }
    }
}
