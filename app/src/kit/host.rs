//! Host control: a page that embeds a widget in an iframe may steer it with
//! `postMessage` (README, "Host control"). Every message is an object
//! `{ "gradlab": 1, "type": … }`; anything else is ignored, as are unknown
//! types and malformed fields. Parsing is plain Rust (tested natively);
//! [`listen`] applies what parses to a lab.

use leptos::prelude::*;
use serde_json::Value;

use super::query::LabState;
use super::{flags, page, Lab};
use crate::web;

/// A message a host may send.
#[derive(Clone, Debug, PartialEq)]
pub enum HostMessage {
    /// Change settings: URL keys and values, as the widget's URL takes them
    /// (bad values are clamped with a notice, unknown keys ignored).
    Set(Vec<(String, String)>),
    Play,
    Pause,
    Reset,
    /// Ask for the widget's status (the reply is a `status` message).
    Status,
}

/// The protocol version a message must carry.
pub const VERSION: u64 = 1;

/// Reads a message, or `None` for anything that is not a valid one.
#[must_use]
pub fn parse(json: &str) -> Option<HostMessage> {
    let v: Value = serde_json::from_str(json).ok()?;
    if v.get("gradlab")?.as_u64()? != VERSION {
        return None;
    }
    Some(match v.get("type")?.as_str()? {
        "set" => {
            let params = v.get("params")?.as_object()?;
            let pairs = params
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    Value::Bool(b) => Some((k.clone(), b.to_string())),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            HostMessage::Set(pairs)
        }
        "play" => HostMessage::Play,
        "pause" => HostMessage::Pause,
        "reset" => HostMessage::Reset,
        "status" => HostMessage::Status,
        _ => return None,
    })
}

/// `query` (with or without `?`) with `params` replacing or adding keys;
/// `lab` and `embed` stay as they are.
#[must_use]
pub fn merge_query(query: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.trim_start_matches('?')).unwrap_or_default();
    for (k, v) in params {
        if k == "lab" || k == "embed" {
            continue;
        }
        match pairs.iter_mut().find(|(key, _)| key == k) {
            Some(p) => p.1 = v.clone(),
            None => pairs.push((k.clone(), v.clone())),
        }
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// Whether a message from `origin` may steer a widget whose URL said
/// `host=<allowed>` (`None`: any origin may).
#[must_use]
pub fn origin_allowed(allowed: Option<&str>, origin: &str) -> bool {
    allowed.is_none_or(|a| a == origin)
}

/// Lets the page that embeds this widget steer `lab` with `postMessage`.
/// A `set` that changes nothing restarts nothing; `play`, `pause` and
/// `reset` (with `reset` the lab's) only where the lab has a transport.
/// With `host=<origin>` in the widget's URL, only messages from that origin
/// are obeyed.
pub fn listen<S: LabState>(lab: Lab<S>, transport: bool, reset: Callback<()>) {
    let pinned = flags::page_flag("host");
    let Lab { settings, messages, status, playing, .. } = lab;
    web::on_message(move |e| {
        if !origin_allowed(pinned.as_deref(), &e.origin()) {
            return;
        }
        let Some(message) = parse(&web::message_json(e)) else { return };
        match message {
            HostMessage::Set(params) => {
                let (s, notes) = S::from_query(&merge_query(&web::search(), &params));
                if settings.with_untracked(|old| *old != s) {
                    settings.set(s);
                }
                messages.update(|m| m.extend(notes));
            }
            HostMessage::Play if transport => page::set_playing(playing, status, true),
            HostMessage::Pause if transport => page::set_playing(playing, status, false),
            HostMessage::Reset if transport => page::reset(playing, status, reset),
            HostMessage::Status => {
                let st = status.get_untracked();
                let reply = serde_json::json!({
                    "gradlab": VERSION,
                    "type": "status",
                    "query": web::search().trim_start_matches('?'),
                    "phase": st.phase.code(),
                    "steps": st.steps,
                    "backend": st.backend,
                    "train_loss": st.train_loss,
                });
                web::reply(e, &reply.to_string());
            }
            _ => {}
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_messages_parse() {
        assert_eq!(parse(r#"{"gradlab":1,"type":"play"}"#), Some(HostMessage::Play));
        assert_eq!(parse(r#"{"gradlab":1,"type":"status"}"#), Some(HostMessage::Status));
        assert_eq!(
            parse(r#"{"gradlab":1,"type":"set","params":{"width":64,"act":"relu","log":true}}"#),
            Some(HostMessage::Set(vec![("act".into(), "relu".into()), ("log".into(), "true".into()), ("width".into(), "64".into())]))
        );
    }

    #[test]
    fn anything_else_is_ignored() {
        for bad in [
            "",
            "null",
            "42",
            r#""play""#,
            r#"{"type":"play"}"#,
            r#"{"gradlab":2,"type":"play"}"#,
            r#"{"gradlab":1,"type":"launch"}"#,
            r#"{"gradlab":1,"type":"set"}"#,
            r#"{"gradlab":1,"type":"set","params":[1,2]}"#,
            r#"{"gradlab":1,"type":"set","params":{"width":{"x":1}}}"#,
            r#"{"gradlab":"1","type":"play"}"#,
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn merging_replaces_adds_and_keeps_the_lab() {
        let q =
            merge_query("?lab=dd&n=100&noise=0.5", &[("n".into(), "40".into()), ("p".into(), "7".into()), ("lab".into(), "ntk".into())]);
        assert_eq!(q, "lab=dd&n=40&noise=0.5&p=7");
    }

    #[test]
    fn origins_are_checked_only_when_pinned() {
        assert!(origin_allowed(None, "https://slides.example"));
        assert!(origin_allowed(Some("https://slides.example"), "https://slides.example"));
        assert!(!origin_allowed(Some("https://slides.example"), "https://evil.example"));
    }

    /// Any JSON a page could post: nested values, odd keys, long strings.
    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just("gradlab".to_owned()),
            Just("type".to_owned()),
            Just("params".to_owned()),
            Just("__proto__".to_owned()),
            Just("constructor".to_owned()),
            Just("width".to_owned()),
            Just("lab".to_owned()),
            "\\PC{0,8}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            prop_oneof![Just("set"), Just("play"), Just("pause"), Just("reset"), Just("status"), Just("1")].prop_map(Value::from),
            "\\PC{0,16}".prop_map(Value::from),
            (0..3usize).prop_map(|n| Value::from("x".repeat(10_000 * n))),
        ];
        leaf.prop_recursive(4, 64, 8, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(key.clone(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Messages close to valid ones: the right fields, any of their values.
    fn near_valid() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let version = prop_oneof![3 => Just(Value::from(1)), 1 => any_json()];
        let kind = prop_oneof![4 => prop_oneof![Just("set"), Just("play"), Just("pause"), Just("reset"), Just("status")].prop_map(Value::from), 1 => any_json()];
        let params = prop_oneof![
            2 => proptest::collection::btree_map("[a-z_]{0,6}|lab|embed|__proto__", prop_oneof![any::<i32>().prop_map(Value::from), "\\PC{0,8}".prop_map(Value::from), any::<bool>().prop_map(Value::from)], 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            1 => any_json(),
        ];
        (version, kind, params).prop_map(|(g, t, p)| serde_json::json!({ "gradlab": g, "type": t, "params": p }))
    }

    /// What the protocol accepts, read independently of [`parse`].
    fn valid(v: &Value) -> bool {
        let scalar = |p: &Value| matches!(p, Value::String(_) | Value::Number(_) | Value::Bool(_));
        v.get("gradlab").and_then(Value::as_u64) == Some(VERSION)
            && match v.get("type").and_then(Value::as_str) {
                Some("play" | "pause" | "reset" | "status") => true,
                Some("set") => v.get("params").and_then(Value::as_object).is_some_and(|m| m.values().all(scalar)),
                _ => false,
            }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(10_000))]

        /// 10 000 generated messages: only the valid ones parse, and a
        /// `set` never changes the lab or the embed flag.
        #[test]
        fn fuzzed_messages_parse_only_when_valid(v in proptest::prop_oneof![any_json(), near_valid()], junk in "\\PC{0,40}") {
            let parsed = parse(&v.to_string());
            proptest::prop_assert_eq!(parsed.is_some(), valid(&v), "{}", v);
            if let Some(HostMessage::Set(params)) = parsed {
                let merged = merge_query("lab=ntk&width=64&embed=1", &params);
                let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&merged).unwrap();
                let get = |k: &str| pairs.iter().filter(|(key, _)| key == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
                proptest::prop_assert_eq!(get("lab"), vec!["ntk".to_owned()]);
                proptest::prop_assert_eq!(get("embed"), vec!["1".to_owned()]);
            }
            proptest::prop_assert!(parse(&junk).is_none() || valid(&serde_json::from_str(&junk).unwrap()));
        }
    }
}
