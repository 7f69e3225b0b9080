//! One message's tokens to a value, with the errors QEMU 7.2's parser gives
//! (the first one met wins). Open containers are kept on an explicit stack,
//! so deep input costs heap, not native stack.

use std::iter::Peekable;

use serde_json::{Map, Number, Value};

use super::lex::Kind;

/// A container still open, and in an object the key awaiting its value.
enum Open {
    List(Vec<Value>),
    Dict(Map<String, Value>, Option<String>),
}

struct Tokens<I: Iterator>(Peekable<I>);

impl<'a, I: Iterator<Item = (Kind, &'a [u8])>> Tokens<I> {
    fn next(&mut self) -> Result<(Kind, &'a [u8]), String> {
        self.0.next().ok_or_else(|| "premature EOI".to_string())
    }

    /// Take the next token if it is `kind`.
    fn take_if(&mut self, kind: Kind) -> bool {
        self.0.next_if(|t| t.0 == kind).is_some()
    }
}

/// Parse one message; errors read "JSON parse error, ..." as QEMU's.
pub(super) fn parse<'a>(tokens: impl Iterator<Item = (Kind, &'a [u8])>) -> Result<Value, String> {
    value(Tokens(tokens.peekable())).map_err(|e| format!("JSON parse error, {e}"))
}

fn value<'a>(mut tokens: Tokens<impl Iterator<Item = (Kind, &'a [u8])>>) -> Result<Value, String> {
    let mut stack: Vec<Open> = Vec::new();
    'value: loop {
        let (kind, text) = tokens.next()?;
        let mut v = match kind {
            // `{}` and `[]` are complete at once; otherwise the container
            // stays open and the next token starts its first key or item.
            Kind::Punct(b'{') if tokens.take_if(Kind::Punct(b'}')) => Value::Object(Map::new()),
            Kind::Punct(b'[') if tokens.take_if(Kind::Punct(b']')) => Value::Array(Vec::new()),
            Kind::Punct(b'{') => {
                stack.push(Open::Dict(Map::new(), None));
                continue 'value;
            }
            Kind::Punct(b'[') => {
                stack.push(Open::List(Vec::new()));
                continue 'value;
            }
            Kind::Punct(_) => return Err("expecting value".into()),
            Kind::Str => Value::String(unescape(text)?),
            Kind::Int | Kind::Float => number(kind, text),
            Kind::Word => match text {
                b"true" => Value::Bool(true),
                b"false" => Value::Bool(false),
                b"null" => Value::Null,
                _ => return Err(format!("invalid keyword '{}'", String::from_utf8_lossy(text))),
            },
        };
        // A complete value goes into the container around it; the token
        // after it says whether that container goes on or is complete too.
        loop {
            let Some(open) = stack.pop() else { return Ok(v) };
            match open {
                Open::List(mut items) => {
                    items.push(v);
                    match tokens.next()?.0 {
                        Kind::Punct(b',') => {
                            stack.push(Open::List(items));
                            continue 'value;
                        }
                        Kind::Punct(b']') => v = Value::Array(items),
                        _ => return Err("expected separator in list".into()),
                    }
                }
                Open::Dict(map, None) => {
                    let Value::String(key) = v else { return Err("key is not a string in object".into()) };
                    if tokens.next()?.0 != Kind::Punct(b':') {
                        return Err("missing : in object pair".into());
                    }
                    stack.push(Open::Dict(map, Some(key)));
                    continue 'value;
                }
                Open::Dict(mut map, Some(key)) => {
                    // Checked once the value parsed: an error in it comes first.
                    if map.contains_key(&key) {
                        return Err("duplicate key".into());
                    }
                    map.insert(key, v);
                    match tokens.next()?.0 {
                        Kind::Punct(b',') => {
                            stack.push(Open::Dict(map, None));
                            continue 'value;
                        }
                        Kind::Punct(b'}') => v = Value::Object(map),
                        _ => return Err("expected separator in dict".into()),
                    }
                }
            }
        }
    }
}

/// An integer as i64 if it fits, else u64, else a double; floats as doubles.
fn number(t: Kind, text: &[u8]) -> Value {
    let s = String::from_utf8_lossy(text);
    if t == Kind::Int {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(u) = s.parse::<u64>() {
            return Value::Number(u.into());
        }
    }
    // The lexer only lets through finite decimal syntax; overflow gives inf, as strtod.
    let d = s.parse::<f64>().unwrap_or(0.0);
    Number::from_f64(d).map(Value::Number).unwrap_or(Value::Null)
}

fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(&b[..4]).ok()?, 16).ok()
}

/// Decode a string token (quotes included) as QEMU's parse_string does.
fn unescape(tok: &[u8]) -> Result<String, String> {
    let quote = tok.first().copied().unwrap_or(b'"');
    let body = &tok[1.min(tok.len())..];
    let mut out = String::new();
    let mut i = 0;
    while i < body.len() && body[i] != quote {
        let c = body[i];
        if c == b'\\' {
            let e = body.get(i + 1).copied().unwrap_or(0);
            i += 2;
            let ch = match e {
                b'"' => '"',
                b'\'' => '\'',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let start = i - 2;
                    let bad = |b: &[u8]| {
                        let end = (start + 6).min(b.len());
                        format!("{} is not a valid Unicode character", String::from_utf8_lossy(&b[start..end]))
                    };
                    let mut cp = hex4(&body[i..]).ok_or_else(|| bad(body))?;
                    i += 4;
                    if (0xd800..0xdc00).contains(&cp) {
                        // A leading surrogate must be followed by a trailing one.
                        let lo = if body.get(i) == Some(&b'\\') && body.get(i + 1) == Some(&b'u') {
                            hex4(&body[i + 2..]).filter(|lo| (0xdc00..0xe000).contains(lo))
                        } else {
                            None
                        };
                        let lo = lo.ok_or_else(|| bad(body))?;
                        i += 6;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    // Lone trailing surrogates are refused.
                    match char::from_u32(cp) {
                        Some(ch) => ch,
                        None => return Err(bad(body)),
                    }
                }
                _ => return Err("invalid escape sequence in string".into()),
            };
            out.push(ch);
            continue;
        }
        // One UTF-8 sequence, validated.
        let len = match c {
            0..=0x7f => 1,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 0,
        };
        let seq = body.get(i..i + len).filter(|_| len > 0);
        match seq.and_then(|s| std::str::from_utf8(s).ok()) {
            Some(s) => out.push_str(s),
            None => return Err("invalid UTF-8 sequence in string".into()),
        }
        i += len;
    }
    Ok(out)
}
