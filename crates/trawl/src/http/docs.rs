//! `GET /docs`: the OpenAPI document as a page people can read, rendered here on the
//! server. No script and nothing from another origin (the CSP allows neither): only an
//! inline style carrying this response's nonce.

use std::fmt::Write;
use std::sync::LazyLock;

use axum::response::Html;
use axum::Extension;
use serde_json::Value;

use super::middleware::headers::CspNonce;

pub async fn page(Extension(nonce): Extension<CspNonce>) -> Html<String> {
    static BODY: LazyLock<String> = LazyLock::new(|| {
        let doc = serde_json::to_value(super::openapi::document()).unwrap_or_default();
        render(&doc)
    });
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trawl API</title>
<style nonce="{nonce}">
body {{ font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: #222; }}
code, .path {{ font-family: ui-monospace, monospace; }}
code {{ background: #f3f3f3; padding: 0 .2em; }}
nav ul {{ columns: 3; }}
section.op {{ border-top: 1px solid #ddd; padding: .5rem 0; }}
.method {{ display: inline-block; min-width: 4.5rem; font-weight: bold; text-transform: uppercase; }}
.get {{ color: #0b6e2e; }} .post {{ color: #1d4ed8; }} .put, .patch {{ color: #9a5b00; }} .delete {{ color: #b91c1c; }}
table {{ border-collapse: collapse; margin: .3rem 0; }}
td, th {{ border: 1px solid #ddd; padding: .15rem .5rem; text-align: left; vertical-align: top; }}
.muted {{ color: #666; }}
</style>
</head>
<body>
{body}
</body>
</html>
"#,
        nonce = nonce.0,
        body = *BODY,
    ))
}

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text with `code` spans in backticks, escaped.
fn prose(s: &str) -> String {
    esc(s)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_string()
            }
        })
        .collect()
}

/// A short name for a schema: its component name, or its type.
fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let names: Vec<String> = list
                .iter()
                .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                .map(schema_name)
                .collect();
            return names.join(" | ");
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".into(),
    };
    if ty == "array" {
        let items = schema.get("items").map(schema_name).unwrap_or_default();
        return format!("array of {items}");
    }
    match schema.get("format").and_then(Value::as_str) {
        Some(f) => format!("{} ({})", esc(&ty), esc(f)),
        None => esc(&ty),
    }
}

fn render(doc: &Value) -> String {
    let mut out = String::new();
    let info = &doc["info"];
    let _ = write!(
        out,
        "<h1>{} API <span class=\"muted\">{}</span></h1>\n<p>{}</p>\n\
         <p>The machine-readable document is <a href=\"/openapi.json\"><code>/openapi.json</code></a> (OpenAPI {}).</p>\n",
        esc(info["title"].as_str().unwrap_or("Trawl")),
        esc(info["version"].as_str().unwrap_or("")),
        prose(info["description"].as_str().unwrap_or("")),
        esc(doc["openapi"].as_str().unwrap_or("")),
    );
    render_security(doc, &mut out);
    render_errors(doc, &mut out);

    // Operations grouped by their first tag, in the order the document lists tags.
    let tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        t["name"].as_str().unwrap_or_default().to_string(),
                        t["description"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ops: Vec<(String, &str, &str, &Value)> = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                ops.push((tag, method.as_str(), path.as_str(), op));
            }
        }
    }
    out.push_str("<nav><h2>Operations</h2><ul>\n");
    for (tag, description) in &tags {
        let _ = writeln!(
            out,
            "<li><a href=\"#tag-{0}\">{0}</a> <span class=\"muted\">{1}</span></li>",
            esc(tag),
            esc(description)
        );
    }
    out.push_str("<li><a href=\"#schemas\">schemas</a></li></ul></nav>\n");
    for (tag, description) in &tags {
        let _ = writeln!(
            out,
            "<h2 id=\"tag-{0}\">{0}</h2>\n<p>{1}</p>",
            esc(tag),
            prose(description)
        );
        for (_, method, path, op) in ops.iter().filter(|(t, ..)| t == tag) {
            render_operation(doc, method, path, op, &mut out);
        }
    }
    render_schemas(doc, &mut out);
    out
}

fn render_security(doc: &Value, out: &mut String) {
    let Some(schemes) = doc["components"]["securitySchemes"].as_object() else {
        return;
    };
    out.push_str("<h2>Authentication</h2>\n<p>Unless an operation says <em>public</em>, send one of:</p>\n<ul>\n");
    for (name, scheme) in schemes {
        let how = match scheme["type"].as_str() {
            Some("http") => format!(
                "<code>Authorization: {} …</code>",
                esc(&capitalise(scheme["scheme"].as_str().unwrap_or("")))
            ),
            Some("apiKey") => format!(
                "{} <code>{}</code>",
                esc(scheme["in"].as_str().unwrap_or("")),
                esc(scheme["name"].as_str().unwrap_or(""))
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "<li><strong>{}</strong>: {how}. {}</li>",
            esc(name),
            prose(scheme["description"].as_str().unwrap_or(""))
        );
    }
    out.push_str("</ul>\n");
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Whether the operation needs no credential: its own `security` is empty or allows
/// an empty requirement.
fn is_public(op: &Value) -> bool {
    op.get("security")
        .and_then(Value::as_array)
        .is_some_and(|reqs| {
            reqs.is_empty()
                || reqs
                    .iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        })
}

fn render_operation(doc: &Value, method: &str, path: &str, op: &Value, out: &mut String) {
    let _ = writeln!(
        out,
        "<section class=\"op\"><h3><span class=\"method {m}\">{m}</span> <span class=\"path\">{p}</span>{public}</h3>",
        m = esc(method),
        p = esc(path),
        public = if is_public(op) {
            " <span class=\"muted\">public</span>"
        } else {
            ""
        },
    );
    if let Some(summary) = op["summary"].as_str() {
        let _ = writeln!(out, "<p>{}</p>", prose(summary));
    }
    if let Some(description) = op["description"].as_str() {
        let _ = writeln!(out, "<p>{}</p>", prose(description));
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str(
            "<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>\n",
        );
        for p in params {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(p["name"].as_str().unwrap_or("")),
                if p["required"].as_bool() == Some(true) {
                    " (required)"
                } else {
                    ""
                },
                esc(p["in"].as_str().unwrap_or("")),
                schema_name(&p["schema"]),
                prose(p["description"].as_str().unwrap_or("")),
            );
        }
        out.push_str("</table>\n");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        let bodies: Vec<String> = content
            .iter()
            .map(|(ct, m)| format!("{} <code>{}</code>", schema_name(&m["schema"]), esc(ct)))
            .collect();
        let _ = writeln!(out, "<p>Body: {}</p>", bodies.join(", or "));
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str("<table><tr><th>status</th><th>body</th><th>meaning</th></tr>\n");
        // Errors are the same everywhere and explained once, under "Errors".
        let (errors, answers): (Vec<_>, Vec<_>) =
            responses.iter().partition(|(status, _)| is_error(status));
        for (status, r) in answers {
            let r = resolve_response(doc, r);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(status),
                bodies(r),
                prose(r["description"].as_str().unwrap_or("")),
            );
        }
        if let Some((_, first)) = errors.first() {
            let statuses: Vec<&str> = errors.iter().map(|(s, _)| s.as_str()).collect();
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>see <a href=\"#errors\">Errors</a></td></tr>",
                esc(&statuses.join(", ")),
                bodies(resolve_response(doc, first)),
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

fn is_error(status: &str) -> bool {
    !(status.starts_with('2') || status.starts_with('3'))
}

/// The schema names of a response's content.
fn bodies(r: &Value) -> String {
    let names: Vec<String> = r["content"]
        .as_object()
        .map(|c| c.values().map(|m| schema_name(&m["schema"])).collect())
        .unwrap_or_default();
    names.join(" or ")
}

/// What each error status means, from the first operation of each error shape.
fn render_errors(doc: &Value, out: &mut String) {
    out.push_str("<h2 id=\"errors\">Errors</h2>\n");
    let Some(paths) = doc["paths"].as_object() else {
        return;
    };
    for (prefix, shape) in [
        ("/api/", "under <code>/api</code>"),
        ("/v2/", "under <code>/v2</code>"),
    ] {
        let Some(op) = paths
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .find_map(|(_, item)| item.as_object()?.values().next())
        else {
            continue;
        };
        let Some(responses) = op["responses"].as_object() else {
            continue;
        };
        let errors: Vec<(&String, &Value)> =
            responses.iter().filter(|(s, _)| is_error(s)).collect();
        let body = errors
            .first()
            .map(|(_, r)| bodies(resolve_response(doc, r)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<p>Errors {shape} are {body}:</p>\n<table><tr><th>status</th><th>meaning</th></tr>"
        );
        for (status, r) in errors {
            let r = resolve_response(doc, r);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(status),
                prose(r["description"].as_str().unwrap_or("")),
            );
        }
        out.push_str("</table>\n");
    }
}

/// A response, or the component it refers to.
fn resolve_response<'a>(doc: &'a Value, r: &'a Value) -> &'a Value {
    match r.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &doc["components"]["responses"][name]
        }
        None => r,
    }
}

fn render_schemas(doc: &Value, out: &mut String) {
    out.push_str("<h2 id=\"schemas\">Schemas</h2>\n");
    let Some(schemas) = doc["components"]["schemas"].as_object() else {
        return;
    };
    for (name, schema) in schemas {
        let _ = writeln!(out, "<h3 id=\"schema-{0}\">{0}</h3>", esc(name));
        if let Some(d) = schema["description"].as_str() {
            let _ = writeln!(out, "<p>{}</p>", prose(d));
        }
        if let Some(values) = schema["enum"].as_array() {
            let names: Vec<String> = values
                .iter()
                .map(|v| format!("<code>{}</code>", esc(v.as_str().unwrap_or_default())))
                .collect();
            let _ = writeln!(out, "<p>One of {}.</p>", names.join(", "));
        }
        let mut parts = vec![schema];
        if let Some(all) = schema["allOf"].as_array() {
            parts.extend(all.iter());
        }
        for part in parts {
            if let Some(reference) = part.get("$ref") {
                let _ = writeln!(
                    out,
                    "<p>Includes {}.</p>",
                    schema_name(&serde_json::json!({ "$ref": reference }))
                );
            }
            let Some(props) = part["properties"].as_object() else {
                continue;
            };
            let required: Vec<&str> = part["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            out.push_str("<table><tr><th>field</th><th>type</th><th>description</th></tr>\n");
            for (field, p) in props {
                let _ = writeln!(
                    out,
                    "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(field),
                    if required.contains(&field.as_str()) {
                        " (required)"
                    } else {
                        ""
                    },
                    schema_name(p),
                    prose(p["description"].as_str().unwrap_or("")),
                );
            }
            out.push_str("</table>\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_document_is_escaped() {
        assert_eq!(esc("<b a=\"1\">&'"), "&lt;b a=&quot;1&quot;&gt;&amp;&#39;");
        assert_eq!(prose("use `<x>` here"), "use <code>&lt;x&gt;</code> here");
    }

    #[test]
    fn every_operation_of_the_document_is_on_the_page() {
        let doc = serde_json::to_value(crate::http::openapi::document()).unwrap();
        let page = render(&doc);
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let heading = format!(
                    "<span class=\"method {m}\">{m}</span> <span class=\"path\">{p}</span>",
                    m = method,
                    p = esc(path)
                );
                assert!(page.contains(&heading), "{method} {path} is not on /docs");
            }
        }
    }
}
