//! Expected outputs were taken from qemu-system-riscv64 7.2 on the same input.

use super::*;

fn msgs(input: &[u8]) -> Vec<Message> {
    let mut s = Streamer::new();
    let mut out = Vec::new();
    s.feed(input, &mut out);
    out
}

fn wire(input: &[u8]) -> Vec<String> {
    msgs(input)
        .into_iter()
        .map(|m| match m {
            Ok(v) => to_wire(&v, false),
            Err(e) => format!("ERR {e}"),
        })
        .collect()
}

#[test]
fn splits_messages_and_joins_lines() {
    assert_eq!(wire(b"{\"a\":1}{\"b\":[2]}\n"), ["{\"a\": 1}\r\n", "{\"b\": [2]}\r\n"]);
    let mut s = Streamer::new();
    let mut out = Vec::new();
    s.feed(b"{\"execute\":\n", &mut out);
    assert!(out.is_empty());
    s.feed(b"\"query-status\"\n}", &mut out);
    assert_eq!(out, [Ok(serde_json::json!({"execute": "query-status"}))]);
    // Byte at a time.
    let mut out = Vec::new();
    for b in b"{'x': \"\\u00e9\", \"y\": -1.5e3}" {
        s.feed(&[*b], &mut out);
    }
    assert_eq!(out, [Ok(serde_json::json!({"x": "é", "y": -1500.0}))]);
}

#[test]
fn errors_as_qemu_words_them_and_recovers() {
    assert_eq!(wire(b"}{\"a\":1}"), ["ERR JSON parse error, expecting value", "{\"a\": 1}\r\n"]);
    assert_eq!(wire(b"abc {\"a\":1}"), ["ERR JSON parse error, invalid keyword 'abc'", "{\"a\": 1}\r\n"]);
    assert_eq!(wire(b"{\"a\":1,}"), ["ERR JSON parse error, expecting value"]);
    assert_eq!(wire(b"{\"a\" 1}"), ["ERR JSON parse error, missing : in object pair"]);
    assert_eq!(wire(b"{1:2}"), ["ERR JSON parse error, key is not a string in object"]);
    assert_eq!(wire(b"{\"a\":1 \"b\"}"), ["ERR JSON parse error, expected separator in dict"]);
    assert_eq!(wire(b"[1 2]"), ["ERR JSON parse error, expected separator in list"]);
    assert_eq!(wire(b"01 "), ["ERR JSON parse error, stray '01'"]);
    assert_eq!(wire(b"{\"a\":1,\"a\":2}"), ["ERR JSON parse error, duplicate key"]);
    assert_eq!(wire(b"[\"a\\qb\"]"), ["ERR JSON parse error, invalid escape sequence in string"]);
    assert_eq!(wire(b"[\"a\\u12\"]"), ["ERR JSON parse error, \\u12\" is not a valid Unicode character"]);
    assert_eq!(wire(b"[\"\\ud83d\"]"), ["ERR JSON parse error, \\ud83d is not a valid Unicode character"]);
    assert_eq!(wire(b"[\"\xc3(\"]"), ["ERR JSON parse error, invalid UTF-8 sequence in string"]);
    // A control character in a string: the lexer's error, then recovery at the '}'.
    assert_eq!(
        wire(b"{\"id\":\"a\x01b\"}\n"),
        ["ERR JSON parse error, stray '\"id\":\"a\u{1}'", "ERR JSON parse error, expecting value"]
            .map(|s| s.replace("\"id\":", ""))
    );
    assert_eq!(wire(b"\xff\n"), ["ERR JSON parse error, stray '\u{fffd}'"]);
}

#[test]
fn nesting_limit_then_each_stray_bracket() {
    // Parsing recurses once per level: monitor threads get this much stack too.
    std::thread::Builder::new().stack_size(crate::STACK_SIZE).spawn(nesting).unwrap().join().unwrap();
}

fn nesting() {
    let mut input = vec![b'['; 1025];
    input.extend(vec![b']'; 1025]);
    let out = wire(&input);
    assert_eq!(out[0], "ERR JSON nesting depth limit exceeded");
    assert_eq!(out.len(), 1 + 1025);
    assert!(out[1..].iter().all(|e| e == "ERR JSON parse error, expecting value"));
    // 1024 levels are fine.
    let mut ok = vec![b'['; 1024];
    ok.extend(vec![b']'; 1024]);
    assert!(msgs(&ok)[0].is_ok());
}

#[test]
fn token_size_limit() {
    let mut s = Streamer::new();
    let mut out = Vec::new();
    s.feed(b"[\"", &mut out);
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..65 {
        s.feed(&chunk, &mut out);
    }
    assert_eq!(out.first(), Some(&Err("JSON token size limit exceeded".to_string())));
    // As in QEMU the lexer restarts mid-string; a 0xff byte resynchronizes it.
    out.clear();
    s.feed(b"\"]\xff{\"a\":1}", &mut out);
    assert_eq!(out.last(), Some(&Ok(serde_json::json!({"a": 1}))));
}

#[test]
fn numbers_and_strings_written_as_qemu() {
    let out =
        wire(b"[1.5, -0, 1e3, 18446744073709551615, 18446744073709551616, -9223372036854775809, true, null, 0.1]");
    assert_eq!(
        out,
        ["[1.5, 0, 1000, 18446744073709551615, 1.8446744073709552e+19, -9.2233720368547758e+18, true, null, \
          0.10000000000000001]\r\n"]
    );
    assert_eq!(
        wire(b"[\"\\u00e9/\\ud83d\\ude00\xc3\xa9\\t\\\"\"]"),
        ["[\"\\u00E9/\\uD83D\\uDE00\\u00E9\\t\\\"\"]\r\n"]
    );
}

#[test]
fn pretty_form() {
    let v = serde_json::json!({"return": {}, "id": [1, {}, []]});
    assert_eq!(
        to_wire(&v, true),
        "{\r\n    \"return\": {\r\n    },\r\n    \"id\": [\r\n        1,\r\n        {\r\n        },\r\n        [\r\n        ]\r\n    ]\r\n}\r\n"
    );
}
