use super::*;

#[test]
fn embedded_data_is_the_validated_toml() {
    // What the worker loads (the settings build.rs wrote as Rust, the
    // static catalog rows) is what build.rs validated, field for field.
    let from_toml = consent_edge_config::from_toml(EMBEDDED, crate::trackers::EMBEDDED).unwrap();
    assert_eq!(&Config::embedded().0, &from_toml);
    assert_eq!(static_settings(), from_toml.config);
}

#[test]
fn generated_strings_fail_closed() {
    use consent_edge_config::UnknownScripts;
    assert_eq!(lit::<UnknownScripts>("allow"), UnknownScripts::Allow);
    assert_eq!(
        lit::<UnknownScripts>("analytics"),
        UnknownScripts::Category(crate::model::Category::Analytics)
    );
    assert_eq!(
        lit::<UnknownScripts>("bogus"),
        UnknownScripts::Category(crate::model::Category::Advertising)
    );
    assert_eq!(lit::<String>("x"), "x");
}

#[test]
fn embedded_config_is_valid() {
    assert_eq!(Config::embedded().cookie.name, "consent");
    assert!(Catalog::configured().vendor("youtube").is_some());
    assert!(Catalog::embedded().vendors().len() >= Catalog::configured().vendors().len() - 1);
}

#[test]
fn errors_name_file_line_and_column() {
    let err = Config::parse("consent.toml", "[policy]\nrevision = \"two\"\n").unwrap_err();
    assert!(matches!(err, ConfigError::Type { .. }), "{err:?}");
    assert!(err.to_string().starts_with("consent.toml:2:12:"), "{err}");
    assert!(err.to_string().contains("expected u32"), "{err}");
    let err = Config::parse("x.toml", "[polcy]\n").unwrap_err();
    assert!(err.to_string().starts_with("x.toml:1:"), "{err}");
    assert!(err.to_string().contains("unknown field"), "{err}");
    let err = Config::parse("x.toml", "[trackers]\nallow = [\"nope\"]\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "x.toml:2:10: trackers.allow[0]: unknown vendor \"nope\""
    );
}

#[test]
fn a_config_is_only_made_valid() {
    let mut s = Settings::default();
    s.trackers.allow.push("nope".into());
    let err = Config::new(s, Config::embedded().catalog_file().clone()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "consent.toml: trackers.allow[0]: unknown vendor \"nope\""
    );
}
