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

/// Equal, with numbers compared by value: as in QEMU, a float such as 5.3e3
/// prints as 5300 and reads back as an integer.
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => x.as_f64() == y.as_f64(),
        (V::Array(x), V::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
        }
        _ => a == b,
    }
}

#[test]
fn random_input_never_panics_and_output_parses_back() {
    // Byte soup weighted towards JSON's alphabet; every value the streamer
    // accepts must survive writing and reading back unchanged.
    const ALPHABET: &[u8] = b"{}[]:,\"'\\ \n\t-+.0123456789eEaflnrstuxy/\x01\x7f\xc3\xa9\xff";
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut accepted = 0;
    for _ in 0..30_000 {
        let len = (next() % 40) as usize;
        let input: Vec<u8> = (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect();
        for m in msgs(&input) {
            let Ok(v) = m else { continue };
            accepted += 1;
            for pretty in [false, true] {
                let text = to_wire(&v, pretty);
                let back = msgs(text.as_bytes());
                assert_eq!(back.len(), 1, "{text:?}");
                let back = back[0].as_ref().unwrap_or_else(|e| panic!("{e} for {text:?}"));
                assert!(same(back, &v), "round trip of {text:?} from {input:?}");
            }
        }
    }
    assert!(accepted > 100, "the generator produced too few valid messages ({accepted})");
}
