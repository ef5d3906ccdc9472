//! YAML to JSON values, for state machines written in YAML and for
//! SAM/CloudFormation templates.
//!
//! Built on the event parser of `yaml-rust2` so that tags are kept: the
//! CloudFormation short forms become their long JSON forms (`!Sub x` is
//! `{"Fn::Sub": x}`, `!Ref x` is `{"Ref": x}`, `!GetAtt A.B` is
//! `{"Fn::GetAtt": ["A", "B"]}`, and any other `!Name x` is `{"Fn::Name": x}`),
//! exactly as CloudFormation reads them. Plain scalars follow the YAML 1.2 core
//! schema (null, booleans, integers, floats, else strings). Anchors and aliases
//! are resolved; mapping keys are read as strings.

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Why a YAML text could not be read: the line (1-based) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct YamlError {
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads the first document of `text` as a JSON value.
pub fn parse(text: &str) -> Result<Value, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| YamlError {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_string(),
    })?;
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.root.unwrap_or(Value::Null))
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        tag: Option<Tag>,
    },
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
        tag: Option<Tag>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: std::collections::HashMap<usize, Value>,
    root: Option<Value>,
    error: Option<YamlError>,
    done: bool,
}

impl Builder {
    fn push_value(&mut self, value: Value, mark: Marker) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(value);
                }
                self.done = true;
            }
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, .. }) => match key.take() {
                None => {
                    let k = match value {
                        Value::String(s) => s,
                        Value::Null => "null".to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => {
                            if self.error.is_none() {
                                self.error = Some(YamlError {
                                    line: mark.line(),
                                    column: mark.col() + 1,
                                    message: "a mapping key must be a scalar".into(),
                                });
                            }
                            String::new()
                        }
                    };
                    *key = Some(k);
                }
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.done && !matches!(ev, Event::StreamEnd | Event::DocumentEnd) {
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value = with_tag(scalar(text, style, tag.as_ref()), tag.as_ref());
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.push_value(value, mark);
            }
            Event::Alias(id) => {
                let value = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                self.push_value(value, mark);
            }
            Event::SequenceStart(anchor, tag) => self.stack.push(Frame::Seq {
                items: Vec::new(),
                anchor,
                tag,
            }),
            Event::MappingStart(anchor, tag) => self.stack.push(Frame::Map {
                map: Map::new(),
                key: None,
                anchor,
                tag,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { items, anchor, tag }) => {
                        (with_tag(Value::Array(items), tag.as_ref()), anchor)
                    }
                    Some(Frame::Map {
                        map, anchor, tag, ..
                    }) => (with_tag(Value::Object(map), tag.as_ref()), anchor),
                    None => return,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.push_value(value, mark);
            }
            _ => {}
        }
    }
}

/// Whether a tag is one of YAML's own (`!!str`, `tag:yaml.org,2002:..`).
fn standard_suffix(tag: &Tag) -> Option<&str> {
    if tag.handle == "!!" || tag.handle.starts_with("tag:yaml.org,2002:") {
        Some(tag.suffix.as_str())
    } else {
        None
    }
}

fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(suffix) = tag.and_then(standard_suffix) {
        return match suffix {
            "str" => Value::String(text),
            "int" | "float" => plain(&text).unwrap_or(Value::String(text)),
            "bool" => plain(&text).unwrap_or(Value::String(text)),
            "null" => Value::Null,
            _ => Value::String(text),
        };
    }
    if style != TScalarStyle::Plain || tag.is_some() {
        return Value::String(text);
    }
    plain(&text).unwrap_or(Value::String(text))
}

/// The YAML 1.2 core schema's reading of a plain scalar, if it is not a string.
fn plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(i) = text.parse::<i64>()
    {
        return Some(Value::Number(i.into()));
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Some(Value::Number(i.into()));
    }
    let looks_float = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_float && let Ok(f) = text.parse::<f64>() {
        return Number::from_f64(f).map(Value::Number);
    }
    None
}

/// Wraps a value in its CloudFormation intrinsic function, for a local tag.
fn with_tag(value: Value, tag: Option<&Tag>) -> Value {
    let Some(tag) = tag else { return value };
    if standard_suffix(tag).is_some() || tag.handle != "!" || tag.suffix.is_empty() {
        return value;
    }
    let name = tag.suffix.as_str();
    let mut map = Map::new();
    match name {
        "Ref" | "Condition" => {
            map.insert(name.to_string(), value);
        }
        "GetAtt" => {
            let value = match value {
                Value::String(s) => match s.split_once('.') {
                    Some((a, b)) => Value::Array(vec![a.into(), b.into()]),
                    None => Value::Array(vec![s.into()]),
                },
                other => other,
            };
            map.insert("Fn::GetAtt".into(), value);
        }
        _ => {
            map.insert(format!("Fn::{name}"), value);
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_intrinsic_functions() {
        let v =
            parse("A: !Sub 'x ${B}'\nC: !GetAtt Fn.Arn\nD: !Ref P\nE: [1, 2.5, true, ~, '3']\n")
                .unwrap();
        assert_eq!(
            v,
            json!({"A": {"Fn::Sub": "x ${B}"}, "C": {"Fn::GetAtt": ["Fn", "Arn"]},
                   "D": {"Ref": "P"}, "E": [1, 2.5, true, null, "3"]})
        );
    }

    #[test]
    fn anchors_and_block_scalars() {
        let v = parse("a: &x {k: 1}\nb: *x\nc: |\n  line1\n  line2\n").unwrap();
        assert_eq!(v["b"], json!({"k": 1}));
        assert_eq!(v["c"], json!("line1\nline2\n"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line >= 1, "{e}");
    }
}
