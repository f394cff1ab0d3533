//! Ansible's YAML, read as PyYAML reads it: the cases that differ from YAML 1.2.

use super::*;

fn value(yaml: &str) -> Value {
    let source = Source {
        path: "t.yml".into(),
        text: Arc::new(yaml.to_string()),
    };
    parse(&source, "test")
        .expect("parses")
        .root
        .map_or(Value::Null, Node::into_value)
}

fn scalar(text: &str) -> Value {
    value(&format!("v: {text}"))["v"].clone()
}

#[test]
fn booleans_are_yaml_1_1s_words_only() {
    for (text, want) in [("yes", true), ("On", true), ("TRUE", true), ("off", false)] {
        assert_eq!(scalar(text), Value::Bool(want), "{text}");
    }
    for text in ["y", "n", "tRUE", "Y"] {
        assert_eq!(scalar(text), Value::String(text.into()), "{text}");
    }
}

#[test]
fn integers_take_octal_hex_binary_separators_and_base_60() {
    for (text, want) in [
        ("017", 15),
        ("0x1f", 31),
        ("0b101", 5),
        ("1_000", 1000),
        ("1:30", 90),
        ("-12", -12),
        ("+7", 7),
        ("0", 0),
    ] {
        assert_eq!(scalar(text), Value::from(want), "{text}");
    }
    for text in ["0o17", "08", "0x", "1:60", "10.0.0.1", "12abc"] {
        assert_eq!(scalar(text), Value::String(text.into()), "{text}");
    }
}

#[test]
fn floats_need_a_dot_and_a_signed_exponent() {
    for (text, want) in [
        ("1.5", 1.5),
        ("1.0e+3", 1000.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("1:30.5", 90.5),
    ] {
        assert_eq!(scalar(text), Value::from(want), "{text}");
    }
    for text in ["1e3", "1.0e3", "1.2.3", "-.5", ".inf"] {
        assert_eq!(scalar(text), Value::String(text.into()), "{text}");
    }
}

#[test]
fn a_json_document_takes_jsons_numbers() {
    assert_eq!(
        value("{\"e\": 1e3, \"n\": 017}")["n"],
        Value::from(15),
        "not JSON: YAML"
    );
    let v = value("{\"e\": 1e3, \"t\": true, \"s\": \"yes\", \"n\": null}");
    assert_eq!(
        v,
        serde_json::json!({"e": 1000.0, "t": true, "s": "yes", "n": null})
    );
}

#[test]
fn quoted_and_tagged_scalars_keep_their_text() {
    assert_eq!(scalar("\"yes\""), Value::String("yes".into()));
    assert_eq!(scalar("!!str 12"), Value::String("12".into()));
    assert_eq!(
        scalar("!unsafe '{{ x }}'"),
        serde_json::json!({ "__ansible_unsafe": "{{ x }}" })
    );
    assert_eq!(scalar("!!int \"12\""), Value::from(12));
    assert_eq!(scalar("~"), Value::Null);
    assert_eq!(scalar(""), Value::Null);
}

#[test]
fn merge_keys_put_shared_entries_under_the_mappings_own() {
    let v = value("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n");
    assert_eq!(v["c"], serde_json::json!({"x": 3, "y": 1, "z": 2}));
}

#[test]
fn refusals_point_at_their_place() {
    let source = |t: &str| Source {
        path: "t.yml".into(),
        text: Arc::new(t.to_string()),
    };
    for bad in [
        "a: {<<: 1}",
        "a: !custom x",
        "a: *nowhere",
        "a: 1\n---\nb: 2\n",
        "a: [1",
    ] {
        assert!(parse(&source(bad), "test").is_err(), "{bad:?}");
    }
}

#[test]
fn aliases_cannot_multiply_a_file() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let source = Source {
        path: "t.yml".into(),
        text: Arc::new(text),
    };
    let err = parse(&source, "test").err().expect("refused");
    assert!(format!("{err:?}").contains("aliases expand"), "{err:?}");
}

#[test]
fn repeated_keys_are_reported_and_the_later_value_wins() {
    let source = Source {
        path: "t.yml".into(),
        text: Arc::new("a: 1\nb: 2\na: 3\n".into()),
    };
    let doc = parse(&source, "test").expect("parses");
    assert_eq!(doc.duplicate_keys, vec![(10, "a".to_string())]);
    let Some(Kind::Map(entries)) = doc.root.as_ref().map(|r| &r.kind) else {
        panic!("a mapping");
    };
    let keys: Vec<_> = entries.iter().filter_map(|(k, _)| k.as_text()).collect();
    assert_eq!(
        keys,
        ["a", "b"],
        "the earlier entry is dropped, its place kept"
    );
    assert_eq!(
        doc.root.map(Node::into_value),
        Some(serde_json::json!({"a": 3, "b": 2}))
    );
}
