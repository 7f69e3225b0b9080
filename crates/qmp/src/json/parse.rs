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
    fn next(&mut self) -> Result<(Kind, &'a [u8]), Error> {
        self.0.next().ok_or_else(|| "premature EOI".into())
    }

    /// Take the next token if it is `kind`.
    fn take_if(&mut self, kind: Kind) -> bool {
        self.0.next_if(|t| t.0 == kind).is_some()
    }
}

/// A parse error's text: bytes, as it may quote input.
type Error = Vec<u8>;

/// Parse one message; errors read "JSON parse error, ..." as QEMU's, whose
/// message buffer holds 1023 bytes.
pub(super) fn parse<'a>(tokens: impl Iterator<Item = (Kind, &'a [u8])>) -> Result<Value, String> {
    value(Tokens(tokens.peekable())).map_err(|e| format!("JSON parse error, {}", render(e.get(..1023).unwrap_or(&e))))
}

fn value<'a>(mut tokens: Tokens<impl Iterator<Item = (Kind, &'a [u8])>>) -> Result<Value, Error> {
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
                _ => return Err([b"invalid keyword '", text, b"'"].concat()),
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

/// A string token's value (`tok` holds its quotes), decoded as QEMU's
/// parser does.
fn unescape(tok: &[u8]) -> Result<String, Error> {
    let Some((&quote, body)) = tok.split_first() else { return Ok(String::new()) };
    let mut out = String::new();
    let mut rest = body;
    while let Some(&b) = rest.first() {
        if b == quote {
            break;
        }
        let (c, used) = match (b, rest.get(1)) {
            (b'\\', Some(b'u')) => unicode_escape(rest)?,
            (b'\\', e) => {
                let c = match e {
                    Some(b'"') => '"',
                    Some(b'\'') => '\'',
                    Some(b'\\') => '\\',
                    Some(b'/') => '/',
                    Some(b'b') => '\u{8}',
                    Some(b'f') => '\u{c}',
                    Some(b'n') => '\n',
                    Some(b'r') => '\r',
                    Some(b't') => '\t',
                    _ => return Err("invalid escape sequence in string".into()),
                };
                (c, 2)
            }
            _ => match decode(rest) {
                (Some(c), n) => (c, n),
                (None, _) => return Err("invalid UTF-8 sequence in string".into()),
            },
        };
        out.push(c);
        rest = rest.get(used..).unwrap_or_default();
    }
    Ok(out)
}

/// `\uXXXX` at the start of `s`, or a surrogate pair of two: the
/// character and the bytes used.
fn unicode_escape(s: &[u8]) -> Result<(char, usize), Error> {
    let hex = |at: usize| -> Option<u32> {
        s.get(at..at + 4)?.iter().try_fold(0, |n, &d| Some(n << 4 | char::from(d).to_digit(16)?))
    };
    let mut len = 6;
    let mut cp = hex(2);
    if let Some(hi @ 0xd800..=0xdbff) = cp {
        if s.get(6..8) == Some(b"\\u") {
            cp = match hex(8) {
                Some(lo @ 0xdc00..=0xdfff) => {
                    len = 12;
                    Some(0x10000 + ((hi & 0x3ff) << 10 | (lo & 0x3ff)))
                }
                _ => None,
            };
        }
    }
    match cp.filter(|&c| valid(c)).and_then(char::from_u32) {
        Some(c) => Ok((c, len)),
        // QEMU quotes the escape: six bytes, twelve for a pair, up to the token's end.
        None => Err([s.get(..len).unwrap_or(s), b" is not a valid Unicode character"].concat()),
    }
}

/// Whether QEMU takes `cp` as a character: not a surrogate, not beyond
/// U+10FFFF, not a noncharacter (U+FDD0..U+FDEF, U+xxFFFE, U+xxFFFF).
fn valid(cp: u32) -> bool {
    cp <= 0x10ffff && !(0xd800..=0xdfff).contains(&cp) && !(0xfdd0..=0xfdef).contains(&cp) && cp & 0xfffe != 0xfffe
}

/// The character at the start of `bytes`, as QEMU decodes UTF-8: the
/// standard form, but also "\xc0\x80" for U+0000, and no noncharacters. A
/// bad sequence runs to the first byte that does not continue it. Returns
/// the bytes used (at least one, unless `bytes` is empty).
fn decode(bytes: &[u8]) -> (Option<char>, usize) {
    let Some(&lead) = bytes.first() else { return (None, 0) };
    if lead < 0x80 {
        return (Some(char::from(lead)), 1);
    }
    // 0xfe, 0xff and continuation bytes start nothing.
    if lead >= 0xfe || lead & 0x40 == 0 {
        return (None, 1);
    }
    // Sequences of up to six bytes are read whole, and then refused.
    let len = lead.leading_ones() as usize;
    let mut cp = u32::from(lead) & (0x7f >> len);
    for i in 1..len {
        match bytes.get(i) {
            Some(&b) if b & 0xc0 == 0x80 => cp = cp << 6 | u32::from(b & 0x3f),
            _ => return (None, i),
        }
    }
    let least = [0x80, 0x800, 0x1_0000, 0x20_0000, 0x400_0000].get(len - 2).copied().unwrap_or(0);
    let ok = (cp >= least || (cp == 0 && len == 2)) && valid(cp);
    (if ok { char::from_u32(cp) } else { None }, len)
}

/// Bytes as QEMU writes them in a JSON string: up to the first NUL (they
/// are C strings there), each bad sequence as U+FFFD.
pub(super) fn render(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let mut rest = bytes.get(..end).unwrap_or_default();
    let mut out = String::new();
    while !rest.is_empty() {
        let (c, used) = decode(rest);
        out.push(c.unwrap_or('\u{fffd}'));
        rest = rest.get(used.max(1)..).unwrap_or_default();
    }
    out
}
