//! Job payloads as the API shows them: request headers by name only.
//!
//! A payload keeps what the caller sent so the worker can send it: a target site's
//! `Authorization` or `Cookie`, a webhook receiver's token. Anyone who may read the job
//! (a viewer, an instance admin, a dashboard) sees which headers were given, never their
//! values. Every place that renders a payload or the options stored from one goes
//! through [`redact_headers`].

use serde::Serializer;
use serde_json::Value;

/// What a header's value is shown as.
pub const REDACTED: &str = "[redacted]";

/// `value` with every `headers` object in it, at any depth (`headers`,
/// `scrapeOptions.headers`, `webhook.headers`, …), keeping its names and replacing each
/// value with [`REDACTED`].
pub fn redact_headers(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let shown = match v {
                        Value::Object(headers) if k.eq_ignore_ascii_case("headers") => {
                            Value::Object(
                                headers
                                    .keys()
                                    .map(|name| (name.clone(), Value::from(REDACTED)))
                                    .collect(),
                            )
                        }
                        // Not a name-to-value object: nothing of it can be shown.
                        Value::Array(_) | Value::String(_) if k.eq_ignore_ascii_case("headers") => {
                            Value::from(REDACTED)
                        }
                        other => redact_headers(other),
                    };
                    (k.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_headers).collect()),
        other => other.clone(),
    }
}

/// `serialize_with` for a payload field: the payload through [`redact_headers`].
pub fn serialize<S: Serializer>(payload: &Value, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&redact_headers(payload), s)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn header_values_are_replaced_wherever_they_sit_and_the_rest_is_kept() {
        let payload = json!({
            "url": "https://example.com",
            "headers": {"Authorization": "Bearer a", "X-Key": "b"},
            "scrapeOptions": {"formats": ["markdown"], "headers": {"Cookie": "c"}},
            "webhook": {"url": "https://hooks.example", "headers": {"X-Token": "d"},
                        "metadata": {"headers": "e"}},
            "urls": [{"headers": {"Authorization": "f"}}],
        });
        assert_eq!(
            redact_headers(&payload),
            json!({
                "url": "https://example.com",
                "headers": {"Authorization": REDACTED, "X-Key": REDACTED},
                "scrapeOptions": {"formats": ["markdown"], "headers": {"Cookie": REDACTED}},
                "webhook": {"url": "https://hooks.example", "headers": {"X-Token": REDACTED},
                            "metadata": {"headers": REDACTED}},
                "urls": [{"headers": {"Authorization": REDACTED}}],
            })
        );
        assert_eq!(redact_headers(&json!("plain")), json!("plain"));
    }
}
