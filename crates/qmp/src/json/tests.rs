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

/// What the streamer emits for `input`: values written compactly, errors as "! text".
fn seen(input: &[u8]) -> Vec<String> {
    outcome(&msgs(input))
}

fn outcome(out: &[Message]) -> Vec<String> {
    out.iter()
        .map(|m| match m {
            Ok(v) => to_wire(v, false).trim_end().to_string(),
            Err(e) => format!("! {e}"),
        })
        .collect()
}

/// Inputs and what QEMU 7.2 makes of them (checked on qemu-system-riscv64
/// through QMP; top-level scalars there only show as "QMP input must be a
/// JSON object").
const CASES: &[(&[u8], &[&str])] = &[
    // Scalars end at the next byte that cannot continue them.
    (b"1", &[]),
    (b"1 ", &["1"]),
    (b"null", &[]),
    (b"null1 ", &["null", "1"]),
    (b"1x ", &["1", "! JSON parse error, invalid keyword 'x'"]),
    (b"truefalse\n", &["! JSON parse error, invalid keyword 'truefalse'"]),
    (
        b"nan inf tru\n",
        &[
            "! JSON parse error, invalid keyword 'nan'",
            "! JSON parse error, invalid keyword 'inf'",
            "! JSON parse error, invalid keyword 'tru'",
        ],
    ),
    (b"\"x\"'y'", &["\"x\"", "\"y\""]),
    (b"{\"a\":1}{\"b\":[2]} 3 [] null\n", &["{\"a\": 1}", "{\"b\": [2]}", "3", "[]", "null"]),
    // Numbers.
    (b"-0 -0.0 0.0 1.0 1e-400 0.5e5 1E+2 1.5e-5 ", &["0", "-0", "0", "1", "0", "50000", "100", "1.5e-05"]),
    (
        b"9223372036854775807 9223372036854775808 -9223372036854775808 -9223372036854775809 ",
        &["9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9.2233720368547758e+18"],
    ),
    (b"123456789012345678901234567890 5e-324 ", &["1.2345678901234568e+29", "4.9406564584124654e-324"]),
    (b"0e5 ", &["0", "! JSON parse error, invalid keyword 'e'", "5"]),
    (b"1.5.3\n", &["1.5", "! JSON parse error, stray '.'"]),
    (b"01\n", &["! JSON parse error, stray '01'"]),
    (b"-01\n", &["! JSON parse error, stray '-01'"]),
    (b"-\n", &["! JSON parse error, stray '-\n'"]),
    (b"- 1\n", &["! JSON parse error, stray '- '"]),
    (b"1.\n", &["! JSON parse error, stray '1.\n'"]),
    (b"1.e5\n", &["! JSON parse error, stray '1.e'"]),
    (b"1e+\n", &["! JSON parse error, stray '1e+\n'"]),
    (b"1e+-2\n", &["! JSON parse error, stray '1e+-'"]),
    (b"1ex\n", &["! JSON parse error, stray '1ex'"]),
    (b"+1\n.5\n", &["! JSON parse error, stray '+'", "! JSON parse error, stray '.'"]),
    // Keywords are lowercase runs; anything else is a stray byte.
    (b"True NULL\n", &["! JSON parse error, stray 'T'"]),
    (b"%d\n", &["! JSON parse error, stray '%'"]),
    // Strings: QEMU's single quotes, escapes, bytes a string may not hold.
    (b"'a\\'b\"c' \"a\\'b\" ", &["\"a'b\\\"c\"", "\"a'b\""]),
    (b"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\" ", &["\"\\\"\\\\/\\b\\f\\n\\r\\t\""]),
    (b"\"\x7f\" \"%s\" ", &["\"\\u007F\"", "\"%s\""]),
    (b"\"\\u00e9\\ud83d\\ude00\\u0000\" ", &["\"\\u00E9\\uD83D\\uDE00\\u0000\""]),
    (b"\"a\tb\"\n", &["! JSON parse error, stray '\"a\t'"]),
    (b"\"a\\\n\"\n", &["! JSON parse error, stray '\"a\\\n'"]),
    (b"\"a\\\xff\"\n", &["! JSON parse error, stray '\"a\\\u{fffd}'"]),
    (b"\"a\xfeb\"\n", &["! JSON parse error, stray '\"a\u{fffd}'"]),
    (b"\"\xc3\xa9\x01\"\n", &["! JSON parse error, stray '\"\u{e9}\u{1}'"]),
    (b"\"\xc3(\x01\"\n", &["! JSON parse error, stray '\"\u{fffd}(\u{1}'"]),
    (
        b"\"\\U0041\" \"\\x41\" ",
        &[
            "! JSON parse error, invalid escape sequence in string",
            "! JSON parse error, invalid escape sequence in string",
        ],
    ),
    (
        b"\"\\u1\" \"\\u\" \"\\uzzzz\" ",
        &[
            "! JSON parse error, \\u1\" is not a valid Unicode character",
            "! JSON parse error, \\u\" is not a valid Unicode character",
            "! JSON parse error, \\uzzzz is not a valid Unicode character",
        ],
    ),
    (b"\"\\u1\xc3\xa9\xc3\xa9\" ", &["! JSON parse error, \\u1\u{e9}\u{fffd} is not a valid Unicode character"]),
    (
        b"\"\\uDC00\" \"\\uD800\\u0041\" \"\\uD800x\" ",
        &[
            "! JSON parse error, \\uDC00 is not a valid Unicode character",
            "! JSON parse error, \\uD800 is not a valid Unicode character",
            "! JSON parse error, \\uD800 is not a valid Unicode character",
        ],
    ),
    (
        b"\"\xe0\x80\x80\" \"\xed\xa0\x80\" \"\xf4\x90\x80\x80\" \"\x80\" ",
        &["! JSON parse error, invalid UTF-8 sequence in string"; 4],
    ),
    // QEMU's UTF-8: "\xc0\x80" is U+0000, noncharacters are refused, a bad
    // sequence (even one of five bytes) shows as one U+FFFD; a NUL ends a message.
    (
        b"\"\xc0\x80\" \"\xef\xbf\xbf\" \"\\uFDD0\" \"\\uD83F\\uDFFE\" ",
        &[
            "\"\\u0000\"",
            "! JSON parse error, invalid UTF-8 sequence in string",
            "! JSON parse error, \\uFDD0 is not a valid Unicode character",
            "! JSON parse error, \\uD83F\\uDFFE is not a valid Unicode character",
        ],
    ),
    (
        b"\"\xc0\x80\xf8\x88\x80\x80\x80\xe0\x80\x80\xef\xbf\xbf\x01\n",
        &["! JSON parse error, stray '\"\u{0}\u{fffd}\u{fffd}\u{fffd}\u{1}'"],
    ),
    (b"\x00\n\"ab\x00cd\"\n", &["! JSON parse error, stray ''", "! JSON parse error, stray '\"ab'"]),
    // Bad bytes between tokens, each reported alone.
    (b"\x01\n\x7f\n", &["! JSON parse error, stray '\u{1}'", "! JSON parse error, stray '\u{7f}'"]),
    (
        b"\xfe\xff\n\x80\n",
        &[
            "! JSON parse error, stray '\u{fffd}'",
            "! JSON parse error, stray '\u{fffd}'",
            "! JSON parse error, stray '\u{fffd}'",
        ],
    ),
    (b"\xc3\xa9\n", &["! JSON parse error, stray '\u{fffd}'"]),
    // After a stray byte, input up to a structural or control byte (not a
    // tab), 0xfe or 0xff is dropped; the message so far is too.
    (
        b"-x\xff\n-x\x01\n-x\t-x\n",
        &[
            "! JSON parse error, stray '-x'",
            "! JSON parse error, stray '\u{fffd}'",
            "! JSON parse error, stray '-x'",
            "! JSON parse error, stray '\u{1}'",
            "! JSON parse error, stray '-x'",
        ],
    ),
    (
        b"-{\"a\":1}\n",
        &[
            "! JSON parse error, stray '-{'",
            "! JSON parse error, expecting value",
            "1",
            "! JSON parse error, expecting value",
        ],
    ),
    (b"-x :1\n", &["! JSON parse error, stray '-x'", "! JSON parse error, expecting value", "1"]),
    (
        b"{\"execute\"\x01:\"query-name\"}\n",
        &[
            "! JSON parse error, stray '\u{1}'",
            "! JSON parse error, expecting value",
            "\"query-name\"",
            "! JSON parse error, expecting value",
        ],
    ),
    (
        b"{\"a\": [1, \xff \"x\"]}\n",
        &[
            "! JSON parse error, stray '\u{fffd}'",
            "! JSON parse error, expecting value",
            "! JSON parse error, expecting value",
        ],
    ),
    (b"\"abc\n{\"a\":1}\n", &["! JSON parse error, stray '\"abc\n'", "{\"a\": 1}"]),
    (b"'abc\n\"\n", &["! JSON parse error, stray ''abc\n'"]),
    (b"\"\x01 \"x\" {\"a\":1}", &["! JSON parse error, stray '\"\u{1}'", "{\"a\": 1}"]),
    (
        b"abc def {\"a\":1}",
        &["! JSON parse error, invalid keyword 'abc'", "! JSON parse error, invalid keyword 'def'", "{\"a\": 1}"],
    ),
    // A message ends when its brackets balance or one kind goes negative.
    (b"[]]", &["[]", "! JSON parse error, expecting value"]),
    (b"[} {] ] } , :", &["! JSON parse error, expecting value"; 6]),
    (
        b"{\"a\"} {\"a\":} {:1} {\"a\":1,} [1,] [,1]",
        &[
            "! JSON parse error, missing : in object pair",
            "! JSON parse error, expecting value",
            "! JSON parse error, expecting value",
            "! JSON parse error, expecting value",
            "! JSON parse error, expecting value",
            "! JSON parse error, expecting value",
        ],
    ),
    // The first error wins.
    (
        b"{[1]:2} {[1 2]:3} {\"a\" 1 2} {\"a\":[1 2], \"a\":1} {\"a\":1,\"a\":xyz} [xyz, 1 2]",
        &[
            "! JSON parse error, key is not a string in object",
            "! JSON parse error, expected separator in list",
            "! JSON parse error, missing : in object pair",
            "! JSON parse error, expected separator in list",
            "! JSON parse error, invalid keyword 'xyz'",
            "! JSON parse error, invalid keyword 'xyz'",
        ],
    ),
    (
        b"{\"a\":1 \"b\":2} {\"a\":1,\"a\":2} [1,[2,{}],{\"a\":[]}]",
        &[
            "! JSON parse error, expected separator in dict",
            "! JSON parse error, duplicate key",
            "[1, [2, {}], {\"a\": []}]",
        ],
    ),
];

#[test]
fn streamer_cases() {
    for (input, expected) in CASES {
        assert_eq!(seen(input), *expected, "for {:?}", String::from_utf8_lossy(input));
    }
}

/// Feeding the same bytes in pieces of any size gives the same messages.
fn same_in_pieces(input: &[u8], mut next: impl FnMut() -> u64) {
    let whole = msgs(input);
    for max in [1usize, 2, 3, 7, 64] {
        let mut s = Streamer::new();
        let mut out = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let n = (1 + next() as usize % max).min(rest.len());
            s.feed(&rest[..n], &mut out);
            rest = &rest[n..];
        }
        assert_eq!(out, whole, "pieces of up to {max} of {:?}", String::from_utf8_lossy(input));
    }
}

fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

#[test]
fn pieces_make_no_difference() {
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    for (input, _) in CASES {
        same_in_pieces(input, &mut next);
    }
}

#[test]
fn stray_text_is_not_cut() {
    let mut input = b"\"".to_vec();
    input.extend(vec![b'a'; 2000]);
    input.push(1);
    assert_eq!(
        msgs(&input),
        [Err(format!("JSON parse error, stray '{}\u{1}'", String::from_utf8_lossy(&input[..2001])))]
    );
}

#[test]
fn nesting_counts_braces_and_brackets_together() {
    std::thread::Builder::new().stack_size(crate::STACK_SIZE).spawn(mixed_nesting).unwrap().join().unwrap();
}

fn mixed_nesting() {
    // 1024 levels of objects are fine.
    let mut ok = b"{\"a\":".repeat(1023);
    ok.extend(b"[1]");
    ok.extend(vec![b'}'; 1023]);
    assert!(msgs(&ok)[0].is_ok());
    // The 1025th level, '{' after 1024 alternating, is refused; the rest of
    // the line then makes messages of its own.
    let mut deep = b"[{".repeat(512);
    deep.extend(b"{\n}\n");
    assert_eq!(seen(&deep), ["! JSON nesting depth limit exceeded", "! JSON parse error, expecting value"]);
}

#[test]
fn token_count_limit() {
    // An array of n numbers is 2n + 1 tokens; 2^21 tokens are allowed.
    let array = |n: usize| [b"[".as_slice(), &b"0,".repeat(n - 1), b"0]"].concat();
    let out = msgs(&array((1 << 20) - 1));
    assert!(matches!(&out[..], [Ok(serde_json::Value::Array(a))] if a.len() == (1 << 20) - 1));
    // One more: the closing bracket is refused.
    assert_eq!(seen(&array(1 << 20)), ["! JSON token count limit exceeded"]);
    // Further along, the refused token and what follows make new messages.
    let mut input = array((1 << 20) + 1);
    input.truncate(input.len() - 1);
    input.extend(b", 7]");
    assert_eq!(
        seen(&input),
        [
            "! JSON token count limit exceeded",
            "0",
            "! JSON parse error, expecting value",
            "7",
            "! JSON parse error, expecting value"
        ]
    );
}

#[test]
fn token_size_limit_over_a_message() {
    // The tokens of one message may hold 64 MiB, each counted one byte more.
    let two = |len: usize| {
        let s = vec![b'a'; len];
        [b"[\"".as_slice(), &s, b"\",\"", &s, b"\"]"].concat()
    };
    // At the closing bracket, the tokens before it ('[', two strings of
    // len + 2 bytes and ',') hold 2 * len + 6 bytes.
    let fits = (MAX_TOKEN_SIZE - 8) / 2;
    let out = msgs(&two(fits));
    assert!(out.len() == 1 && out[0].is_ok());
    // One byte more and the second string is refused already; then the
    // closing bracket stands alone.
    let out = outcome(&msgs(&two(fits + 1)));
    assert!(out == ["! JSON token size limit exceeded", "! JSON parse error, expecting value"]);
}

#[test]
fn an_oversized_number_restarts_the_lexer() {
    // A token longer than 64 MiB is refused as soon as it grows past that;
    // its remaining bytes start a new token.
    let mut input = vec![b'1'; MAX_TOKEN_SIZE + 5];
    input.push(b'\n');
    assert_eq!(seen(&input), ["! JSON token size limit exceeded", "1111"]);
}

#[test]
fn mutated_commands_never_panic_and_pieces_agree() {
    // Valid commands with bytes changed, dropped, duplicated or inserted.
    const SEEDS: &[&[u8]] = &[
        b"{\"execute\":\"query-status\",\"id\":[1,-2.5e3,{'a':null}]}\n",
        b"{'execute':'human-monitor-command','arguments':{'command-line':'info \\u00e9\\ud83d\\ude00'}}",
        b"[true,false,null,\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",0.5E+2,-0,18446744073709551616]",
    ];
    const BYTES: &[u8] = b"{}[]:,\"'\\ \n\t-+.0eE9aznu%\x00\x01\x7f\x80\xc3\xed\xef\xf8\xfe\xff";
    let mut next = xorshift(0x0123_4567_89ab_cdef);
    let errors = [
        "JSON parse error, ",
        "JSON token size limit exceeded",
        "JSON token count limit exceeded",
        "JSON nesting depth limit exceeded",
    ];
    for i in 0..6000 {
        let mut input = SEEDS[i % SEEDS.len()].to_vec();
        for _ in 0..1 + next() % 4 {
            let at = next() as usize % (input.len() + 1);
            let b = BYTES[next() as usize % BYTES.len()];
            match next() % 4 {
                0 if at < input.len() => input[at] = b,
                1 if at < input.len() => {
                    input.remove(at);
                }
                2 if at < input.len() => input.insert(at, input[at]),
                _ => input.insert(at, b),
            }
        }
        for m in msgs(&input) {
            if let Err(e) = m {
                assert!(errors.iter().any(|p| e.starts_with(p)), "{e:?} from {input:?}");
            }
        }
        same_in_pieces(&input, &mut next);
    }
}

#[test]
fn parse_errors_hold_1023_bytes_as_qemus() {
    // "invalid keyword '" and the quote around 1005 letters fill 1023 bytes.
    let word = |n: usize| [vec![b'k'; n], b"\n".to_vec()].concat();
    let text = |n: usize| format!("JSON parse error, invalid keyword '{}", "k".repeat(n));
    assert_eq!(msgs(&word(1005)), [Err(text(1005) + "'")]);
    assert_eq!(msgs(&word(1006)), [Err(text(1006))]);
    assert_eq!(msgs(&word(5000)), [Err(text(1006))]);
}
