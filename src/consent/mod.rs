//! Consent: the four categories, the visitor's decision, and everything that
//! reads, proves and enforces it.
//!
//! - [`cookie`]: the signed, versioned consent cookie ([`Secrets`], encode,
//!   verify, `Set-Cookie` values);
//! - [`State`]: the effective consent of one request (cookie, regime, GPC);
//! - [`endpoint`]: the `/__consent` endpoint (`GET`, `POST` form/JSON, `DELETE`);
//! - [`enforce`]: keeping refused cookies from the origin and the browser;
//! - [`reach`]: every domain and path a refused cookie may live on (PSL).
//!
//! All of it is pure: time (`now`, unix seconds) and entropy (`random`) are
//! inputs, and no input makes it panic.

use crate::jurisdiction::{Model, Regime};

pub mod cookie;
pub mod endpoint;
pub mod enforce;
pub mod ratelimit;
pub mod reach;
pub mod token;

pub use self::cookie::Secrets;

pub use crate::model::{Category, Decision, Grants, Method};
/// `[cookie]`: the consent cookie and its endpoint.
pub use consent_edge_config::CookieSettings as CookieConfig;

/// What reading or writing the consent cookie needs to know: its name and
/// the current policy revision (older decisions no longer count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy<'a> {
    /// The consent cookie's name (`[cookie] name`).
    pub name: &'a str,
    /// The current policy revision (`[policy] revision`).
    pub revision: u32,
}

impl<'a> CookiePolicy<'a> {
    /// The cookie policy of a configuration.
    pub fn of(cfg: &'a consent_edge_config::Config) -> CookiePolicy<'a> {
        CookiePolicy {
            name: &cfg.cookie.name,
            revision: cfg.policy.revision,
        }
    }
}

/// The visitor's effective consent state for one request.
///
/// Built by [`State::resolve`] from the request's `Cookie` header, the regime
/// and the `Sec-GPC` signal:
///
/// - a valid consent cookie (see [`cookie`]) → its grants and method;
/// - otherwise the regime's defaults, except that with `Sec-GPC: 1` in an
///   opt-out regime that honours GPC advertising is refused and the method is
///   [`Method::Gpc`] (still `decision: None`: nothing was decided);
/// - in opt-in and notice regimes GPC changes nothing before a choice.
///
/// An explicit choice always wins over GPC (it is stored with `gpc: true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The regime of this request.
    pub regime: Regime,
    /// The visitor's valid decision, if any.
    pub decision: Option<Decision>,
    /// What is granted for this request.
    pub grants: Grants,
    /// Whether this request carries `Sec-GPC: 1`.
    pub gpc: bool,
    /// How `grants` came about: the decision's method, [`Method::Gpc`] for a
    /// GPC-derived refusal, `None` for the regime's defaults.
    pub method: Option<Method>,
    /// The residual audit: how many refused cookies (distinct names) still
    /// arrived with this request although a decision refusing them is in
    /// force — the browser kept them despite the expiries sent with the
    /// decision. The response expires them again. Always 0 without a
    /// decision; set by the caller that can classify cookies
    /// ([`enforce::residual`]). Shown in the status block, `GET
    /// /__consent` and `/__consent/history`; not stored.
    pub residual: usize,
}

impl State {
    /// Resolves the effective state of a request. Every kind of bad consent
    /// cookie counts as no decision; duplicates resolve to the newest valid one.
    pub fn resolve(
        cookie_header: Option<&str>,
        policy: &CookiePolicy<'_>,
        secrets: &Secrets,
        regime: Regime,
        gpc: bool,
        now: u64,
    ) -> State {
        let decision = cookie_header.and_then(|h| {
            cookie::read(
                h,
                policy.name,
                secrets,
                policy.revision,
                regime.max_age_days,
                now,
            )
        });
        State::with_decision(regime, decision, gpc)
    }

    /// The state for a known decision (or none), as [`State::resolve`] would
    /// derive it.
    pub fn with_decision(regime: Regime, decision: Option<Decision>, gpc: bool) -> State {
        let (grants, method) = match &decision {
            Some(d) => (d.grants, Some(d.method)),
            None if gpc && regime.honour_gpc && regime.model == Model::OptOut => (
                regime.defaults.with(Category::Advertising, false),
                Some(Method::Gpc),
            ),
            None => (regime.defaults, None),
        };
        State {
            regime,
            decision,
            grants,
            gpc,
            method,
            residual: 0,
        }
    }

    /// The JSON the endpoint answers with:
    ///
    /// ```json
    /// { "jurisdiction": "eu", "model": "opt-in", "variant": "opt-in",
    ///   "decided": true,
    ///   "categories": {"necessary": true, "functional": false, "analytics": true, "advertising": false},
    ///   "consent_id": "…", "revision": 3, "decided_at": 1750000000,
    ///   "method": "custom", "gpc": false, "residual": 0 }
    /// ```
    ///
    /// `consent_id` and `decided_at` are `null` without a decision; `method` is
    /// `null` for plain defaults; `revision` is the decision's revision, or
    /// `revision` (the current policy revision) without one; `gpc` is this
    /// request's `Sec-GPC` signal; `residual` is [`State::residual`].
    pub fn to_json(&self, revision: u32) -> serde_json::Value {
        let mut categories = serde_json::Map::new();
        for c in Category::ALL {
            categories.insert(c.id().into(), self.grants.has(c).into());
        }
        let d = self.decision.as_ref();
        serde_json::json!({
            "jurisdiction": self.regime.id,
            "model": self.regime.model.id(),
            "variant": self.regime.variant,
            "decided": d.is_some(),
            "categories": categories,
            "consent_id": d.map(|d| d.consent_id.as_str()),
            "revision": d.map_or(revision, |d| d.revision),
            "decided_at": d.map(|d| d.decided_at),
            "method": self.method.map(Method::id),
            "gpc": self.gpc,
            "residual": self.residual,
        })
    }
}

/// Fixtures shared by this module's tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::Grants;
    use crate::jurisdiction::{Model, Regime};

    /// A California-like opt-out regime that honours GPC.
    pub(crate) fn opt_out() -> Regime {
        Regime {
            id: "us-ca".into(),
            model: Model::OptOut,
            variant: "opt-out".into(),
            defaults: Grants::ALL,
            max_age_days: 365,
            honour_gpc: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_750_000_000;

    fn cfg() -> CookiePolicy<'static> {
        CookiePolicy {
            name: "consent",
            revision: 3,
        }
    }

    fn secrets() -> Secrets {
        Secrets::new(b"state-test-secret-0123456789".to_vec())
    }

    fn opt_out() -> Regime {
        test_support::opt_out()
    }

    fn decision(grants: Grants, method: Method, at: u64, revision: u32) -> Decision {
        Decision {
            grants,
            revision,
            decided_at: at,
            consent_id: cookie::new_consent_id([9; 16]),
            method,
            jurisdiction: "eu".into(),
            gpc: false,
        }
    }

    fn header(d: &Decision) -> String {
        format!(
            "a=1; consent={}; b=2",
            cookie::encode(d, &secrets()).unwrap()
        )
    }

    #[test]
    fn no_cookie_means_regime_defaults() {
        let s = State::resolve(None, &cfg(), &secrets(), Regime::strictest(), false, NOW);
        assert_eq!(s.decision, None);
        assert_eq!(s.grants, Grants::NECESSARY_ONLY);
        assert_eq!(s.method, None);
        let s = State::resolve(Some("x=1"), &cfg(), &secrets(), opt_out(), false, NOW);
        assert_eq!(s.grants, Grants::ALL);
        assert_eq!(s.method, None);
    }

    #[test]
    fn valid_cookie_is_the_decision() {
        let d = decision(
            Grants::from_categories([Category::Functional]),
            Method::Custom,
            NOW - 5,
            3,
        );
        let s = State::resolve(
            Some(&header(&d)),
            &cfg(),
            &secrets(),
            Regime::strictest(),
            false,
            NOW,
        );
        assert_eq!(s.decision.as_ref(), Some(&d));
        assert_eq!(s.grants, d.grants);
        assert_eq!(s.method, Some(Method::Custom));
    }

    #[test]
    fn stale_revision_or_age_is_no_decision() {
        let old_rev = decision(Grants::ALL, Method::AcceptAll, NOW - 5, 2);
        let s = State::resolve(
            Some(&header(&old_rev)),
            &cfg(),
            &secrets(),
            Regime::strictest(),
            false,
            NOW,
        );
        assert_eq!(s.decision, None);
        assert_eq!(s.grants, Grants::NECESSARY_ONLY);
        // strictest regime: 182 days
        let old = decision(Grants::ALL, Method::AcceptAll, NOW - 183 * 86_400, 3);
        let s = State::resolve(
            Some(&header(&old)),
            &cfg(),
            &secrets(),
            Regime::strictest(),
            false,
            NOW,
        );
        assert_eq!(s.decision, None);
        // the same decision still counts under a regime with a longer maximum age
        let s = State::resolve(
            Some(&header(&old)),
            &cfg(),
            &secrets(),
            opt_out(),
            false,
            NOW,
        );
        assert!(s.decision.is_some());
        // a renamed cookie is not read
        let mut c = cfg();
        c.name = "other";
        let d = decision(Grants::ALL, Method::AcceptAll, NOW, 3);
        let s = State::resolve(
            Some(&header(&d)),
            &c,
            &secrets(),
            Regime::strictest(),
            false,
            NOW,
        );
        assert_eq!(s.decision, None);
    }

    #[test]
    fn gpc_refuses_advertising_only_in_opt_out_before_a_choice() {
        let s = State::resolve(None, &cfg(), &secrets(), opt_out(), true, NOW);
        assert_eq!(s.decision, None);
        assert!(!s.grants.has(Category::Advertising));
        assert!(s.grants.has(Category::Analytics));
        assert_eq!(s.method, Some(Method::Gpc));
        let j = s.to_json(3);
        assert_eq!(j["method"], "gpc");
        assert_eq!(j["decided"], false);
        assert_eq!(j["gpc"], true);
        assert_eq!(j["categories"]["advertising"], false);

        // not honoured by this regime
        let mut r = opt_out();
        r.honour_gpc = false;
        let s = State::resolve(None, &cfg(), &secrets(), r, true, NOW);
        assert_eq!((s.grants, s.method), (Grants::ALL, None));

        // opt-in: nothing changes
        let s = State::resolve(None, &cfg(), &secrets(), Regime::strictest(), true, NOW);
        assert_eq!((s.grants, s.method), (Grants::NECESSARY_ONLY, None));
        assert_eq!(s.to_json(3)["method"], serde_json::Value::Null);

        // an explicit choice wins over GPC
        let d = decision(Grants::ALL, Method::AcceptAll, NOW, 3);
        let s = State::resolve(Some(&header(&d)), &cfg(), &secrets(), opt_out(), true, NOW);
        assert_eq!((s.grants, s.method), (Grants::ALL, Some(Method::AcceptAll)));
    }

    #[test]
    fn json_shape() {
        let d = decision(
            Grants::from_categories([Category::Analytics]),
            Method::Custom,
            NOW,
            3,
        );
        let s = State::with_decision(Regime::strictest(), Some(d.clone()), false);
        assert_eq!(
            s.to_json(3),
            serde_json::json!({
                "jurisdiction": "unknown", "model": "opt-in", "variant": "opt-in",
                "decided": true,
                "categories": {"necessary": true, "functional": false, "analytics": true, "advertising": false},
                "consent_id": d.consent_id, "revision": 3, "decided_at": NOW,
                "method": "custom", "gpc": false, "residual": 0
            })
        );
        let s = State::with_decision(Regime::strictest(), None, false);
        assert_eq!(
            s.to_json(7),
            serde_json::json!({
                "jurisdiction": "unknown", "model": "opt-in", "variant": "opt-in",
                "decided": false,
                "categories": {"necessary": true, "functional": false, "analytics": false, "advertising": false},
                "consent_id": null, "revision": 7, "decided_at": null,
                "method": null, "gpc": false, "residual": 0
            })
        );
    }
}
