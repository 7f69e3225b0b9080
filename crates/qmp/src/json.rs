//! QEMU's JSON dialect, byte for byte where a QMP client could tell:
//! a streaming lexer and message splitter (qobject/json-lexer.c,
//! json-streamer.c), a parser with QEMU's error messages (json-parser.c),
//! and a writer that formats as qobject_to_json does (", " and ": "
//! separators, non-ASCII as `\uXXXX`, doubles as `%.17g`, pretty form with
//! four-space indentation).
//!
//! Extensions QEMU accepts and so do we: single-quoted strings and `\'`.

use serde_json::{Map, Number, Value};

/// Most bytes the tokens of one message may hold (json-streamer.c).
pub const MAX_TOKEN_SIZE: usize = 64 << 20;
/// Most tokens one message may hold.
pub const MAX_TOKEN_COUNT: usize = 2 << 20;
/// Deepest nesting of `{` and `[` in one message.
pub const MAX_NESTING: i64 = 1 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    LCurly,
    RCurly,
    LSquare,
    RSquare,
    Colon,
    Comma,
    Integer,
    Float,
    Keyword,
    Str,
    /// A token that grew past the size limit while still being lexed.
    Oversized,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// After an error: skip to a structural or control character.
    Recovery,
    DqString,
    DqEscape,
    SqString,
    SqEscape,
    Zero,
    Sign,
    Digits,
    Mantissa,
    MantissaDigits,
    ExpE,
    ExpSign,
    ExpDigits,
    Keyword,
}

/// What one step of the lexer does with a byte.
enum Step {
    /// Consume it, go to this state.
    Go(State),
    /// Consume it; it completes this token.
    Emit(Tok),
    /// Do not consume it; the token so far is complete.
    EmitLookahead(Tok),
    /// Consume it; it is an error.
    Error,
    /// Skip it (whitespace, or recovery).
    Skip(State),
    /// Do not consume it: go back to the start state first.
    Restart,
}

/// One parsed message, or the error QEMU would report for it.
pub type Message = Result<Value, String>;

/// Splits a byte stream into JSON messages as QEMU's streamer does: a message
/// ends when its braces and brackets balance (or go negative), on a lexical
/// error, or when a limit is hit.
pub struct Streamer {
    state: State,
    token: Vec<u8>,
    tokens: Vec<(Tok, Vec<u8>)>,
    brace: i64,
    bracket: i64,
    token_size: usize,
}

impl Default for Streamer {
    fn default() -> Self {
        Self::new()
    }
}

fn step(state: State, ch: u8) -> Step {
    use State as S;
    match state {
        S::Start => match ch {
            b'"' => Step::Go(S::DqString),
            b'\'' => Step::Go(S::SqString),
            b'0' => Step::Go(S::Zero),
            b'1'..=b'9' => Step::Go(S::Digits),
            b'-' => Step::Go(S::Sign),
            b'{' => Step::Emit(Tok::LCurly),
            b'}' => Step::Emit(Tok::RCurly),
            b'[' => Step::Emit(Tok::LSquare),
            b']' => Step::Emit(Tok::RSquare),
            b',' => Step::Emit(Tok::Comma),
            b':' => Step::Emit(Tok::Colon),
            b'a'..=b'z' => Step::Go(S::Keyword),
            b' ' | b'\t' | b'\r' | b'\n' => Step::Skip(S::Start),
            _ => Step::Error,
        },
        S::Recovery => match ch {
            b'\t' => Step::Skip(S::Recovery),
            0..=0x1f | 0xfe | 0xff | b'[' | b']' | b'{' | b'}' | b':' | b',' => Step::Restart,
            _ => Step::Skip(S::Recovery),
        },
        S::DqString => match ch {
            b'\\' => Step::Go(S::DqEscape),
            b'"' => Step::Emit(Tok::Str),
            0x20..=0xfd => Step::Go(S::DqString),
            _ => Step::Error,
        },
        S::SqString => match ch {
            b'\\' => Step::Go(S::SqEscape),
            b'\'' => Step::Emit(Tok::Str),
            0x20..=0xfd => Step::Go(S::SqString),
            _ => Step::Error,
        },
        S::DqEscape | S::SqEscape => match ch {
            0x20..=0xfd => Step::Go(if state == S::DqEscape { S::DqString } else { S::SqString }),
            _ => Step::Error,
        },
        S::Zero => match ch {
            b'0'..=b'9' => Step::Error,
            b'.' => Step::Go(S::Mantissa),
            _ => Step::EmitLookahead(Tok::Integer),
        },
        S::Sign => match ch {
            b'0' => Step::Go(S::Zero),
            b'1'..=b'9' => Step::Go(S::Digits),
            _ => Step::Error,
        },
        S::Digits => match ch {
            b'0'..=b'9' => Step::Go(S::Digits),
            b'e' | b'E' => Step::Go(S::ExpE),
            b'.' => Step::Go(S::Mantissa),
            _ => Step::EmitLookahead(Tok::Integer),
        },
        S::Mantissa => match ch {
            b'0'..=b'9' => Step::Go(S::MantissaDigits),
            _ => Step::Error,
        },
        S::MantissaDigits => match ch {
            b'0'..=b'9' => Step::Go(S::MantissaDigits),
            b'e' | b'E' => Step::Go(S::ExpE),
            _ => Step::EmitLookahead(Tok::Float),
        },
        S::ExpE => match ch {
            b'-' | b'+' => Step::Go(S::ExpSign),
            b'0'..=b'9' => Step::Go(S::ExpDigits),
            _ => Step::Error,
        },
        S::ExpSign => match ch {
            b'0'..=b'9' => Step::Go(S::ExpDigits),
            _ => Step::Error,
        },
        S::ExpDigits => match ch {
            b'0'..=b'9' => Step::Go(S::ExpDigits),
            _ => Step::EmitLookahead(Tok::Float),
        },
        S::Keyword => match ch {
            b'a'..=b'z' => Step::Go(S::Keyword),
            _ => Step::EmitLookahead(Tok::Keyword),
        },
    }
}

impl Streamer {
    pub fn new() -> Streamer {
        Streamer { state: State::Start, token: Vec::new(), tokens: Vec::new(), brace: 0, bracket: 0, token_size: 0 }
    }

    /// Feed bytes; complete messages (and errors) are appended to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Message>) {
        let mut i = 0;
        while i < bytes.len() {
            // Plain string bytes in bulk: the same transitions as byte by byte, faster.
            let quote = match self.state {
                State::DqString => Some(b'"'),
                State::SqString => Some(b'\''),
                _ => None,
            };
            if let Some(q) = quote {
                let run =
                    bytes[i..].iter().take_while(|&&b| (0x20..=0xfd).contains(&b) && b != q && b != b'\\').count();
                let take = run.min((MAX_TOKEN_SIZE + 1).saturating_sub(self.token.len()));
                if take > 0 {
                    self.token.extend_from_slice(&bytes[i..i + take]);
                    i += take;
                    if self.token.len() > MAX_TOKEN_SIZE {
                        let text = std::mem::take(&mut self.token);
                        self.state = State::Start;
                        self.process(Some(Tok::Oversized), text, out);
                    }
                    continue;
                }
            }
            self.feed_byte(bytes[i], out);
            i += 1;
        }
    }

    fn feed_byte(&mut self, ch: u8, out: &mut Vec<Message>) {
        loop {
            match step(self.state, ch) {
                Step::Go(s) => {
                    self.token.push(ch);
                    self.state = s;
                }
                Step::Skip(s) => {
                    self.token.clear();
                    self.state = s;
                }
                Step::Emit(t) => {
                    self.token.push(ch);
                    let text = std::mem::take(&mut self.token);
                    self.state = State::Start;
                    self.process(Some(t), text, out);
                }
                Step::EmitLookahead(t) => {
                    let text = std::mem::take(&mut self.token);
                    self.state = State::Start;
                    self.process(Some(t), text, out);
                    continue;
                }
                Step::Error => {
                    self.token.push(ch);
                    let text = std::mem::take(&mut self.token);
                    self.state = State::Recovery;
                    self.process(None, text, out);
                }
                Step::Restart => {
                    self.state = State::Start;
                    continue;
                }
            }
            break;
        }
        // A single token may not grow without bound (json-lexer.c).
        if self.token.len() > MAX_TOKEN_SIZE {
            let text = std::mem::take(&mut self.token);
            self.state = State::Start;
            self.process(Some(Tok::Oversized), text, out);
        }
    }

    fn reset(&mut self) {
        self.brace = 0;
        self.bracket = 0;
        self.tokens.clear();
        self.token_size = 0;
    }

    /// json_message_process_token: `None` is a lexical error.
    fn process(&mut self, tok: Option<Tok>, text: Vec<u8>, out: &mut Vec<Message>) {
        let Some(tok) = tok else {
            out.push(Err(format!("JSON parse error, stray '{}'", String::from_utf8_lossy(&text))));
            self.reset();
            return;
        };
        match tok {
            Tok::LCurly => self.brace += 1,
            Tok::RCurly => self.brace -= 1,
            Tok::LSquare => self.bracket += 1,
            Tok::RSquare => self.bracket -= 1,
            _ => {}
        }
        let err = if self.token_size + text.len() + 1 > MAX_TOKEN_SIZE {
            Some("JSON token size limit exceeded")
        } else if self.tokens.len() + 1 > MAX_TOKEN_COUNT {
            Some("JSON token count limit exceeded")
        } else if self.brace + self.bracket > MAX_NESTING {
            Some("JSON nesting depth limit exceeded")
        } else {
            None
        };
        if let Some(e) = err {
            out.push(Err(e.to_string()));
            self.reset();
            return;
        }
        self.token_size += text.len();
        self.tokens.push((tok, text));
        if (self.brace > 0 || self.bracket > 0) && self.brace >= 0 && self.bracket >= 0 {
            return;
        }
        let tokens = std::mem::take(&mut self.tokens);
        out.push(parse(&tokens));
        self.reset();
    }
}

/// Parse one message's tokens (json_parser_parse).
fn parse(tokens: &[(Tok, Vec<u8>)]) -> Message {
    let mut p = Parser { tokens, pos: 0 };
    p.value().map_err(|e| format!("JSON parse error, {e}"))
}

struct Parser<'a> {
    tokens: &'a [(Tok, Vec<u8>)],
    pos: usize,
}

impl Parser<'_> {
    fn next(&mut self) -> Result<&(Tok, Vec<u8>), String> {
        let t = self.tokens.get(self.pos).ok_or("premature EOI")?;
        self.pos += 1;
        Ok(t)
    }

    fn peek(&self) -> Result<Tok, String> {
        self.tokens.get(self.pos).map(|t| t.0).ok_or_else(|| "premature EOI".to_string())
    }

    // Nesting is bounded by MAX_NESTING in the streamer, so recursion is too.
    fn value(&mut self) -> Result<Value, String> {
        match self.peek()? {
            Tok::LCurly => self.object(),
            Tok::LSquare => self.array(),
            Tok::Str => {
                let (_, text) = self.next()?;
                Ok(Value::String(unescape(text)?))
            }
            Tok::Integer | Tok::Float => {
                let (t, text) = self.next()?;
                Ok(number(*t, text))
            }
            Tok::Keyword => {
                let (_, text) = self.next()?;
                match text.as_slice() {
                    b"true" => Ok(Value::Bool(true)),
                    b"false" => Ok(Value::Bool(false)),
                    b"null" => Ok(Value::Null),
                    _ => Err(format!("invalid keyword '{}'", String::from_utf8_lossy(text))),
                }
            }
            _ => Err("expecting value".into()),
        }
    }

    fn object(&mut self) -> Result<Value, String> {
        self.next()?;
        let mut map = Map::new();
        if self.peek()? == Tok::RCurly {
            self.next()?;
            return Ok(Value::Object(map));
        }
        loop {
            // The first error wins (parse_error keeps it).
            let key = match self.value()? {
                Value::String(s) => s,
                _ => return Err("key is not a string in object".into()),
            };
            if self.next()?.0 != Tok::Colon {
                return Err("missing : in object pair".into());
            }
            let v = self.value()?;
            if map.contains_key(&key) {
                return Err("duplicate key".into());
            }
            map.insert(key, v);
            match self.next()?.0 {
                Tok::RCurly => return Ok(Value::Object(map)),
                Tok::Comma => {}
                _ => return Err("expected separator in dict".into()),
            }
        }
    }

    fn array(&mut self) -> Result<Value, String> {
        self.next()?;
        let mut list = Vec::new();
        if self.peek()? == Tok::RSquare {
            self.next()?;
            return Ok(Value::Array(list));
        }
        loop {
            list.push(self.value()?);
            match self.next()?.0 {
                Tok::RSquare => return Ok(Value::Array(list)),
                Tok::Comma => {}
                _ => return Err("expected separator in list".into()),
            }
        }
    }
}

/// An integer as i64 if it fits, else u64, else a double; floats as doubles.
fn number(t: Tok, text: &[u8]) -> Value {
    let s = String::from_utf8_lossy(text);
    if t == Tok::Integer {
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

/// `%.17g`, as QEMU prints doubles.
pub fn fmt_double(d: f64) -> String {
    if d == 0.0 {
        return if d.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    if !d.is_finite() {
        return if d.is_nan() {
            "nan".into()
        } else if d > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let e = format!("{d:.16e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..17).contains(&exp) {
        let m = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let prec = (16 - exp).max(0) as usize;
        trim_zeros(&format!("{d:.prec$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) >= 0x7f => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn newline(out: &mut String, pretty: bool, depth: usize) {
    if pretty {
        // QMP's output converts "\n" to "\r\n" (monitor_puts); do it here.
        out.push_str("\r\n");
        for _ in 0..depth {
            out.push_str("    ");
        }
    }
}

fn write_value(out: &mut String, v: &Value, pretty: bool, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (None, Some(u), _) => out.push_str(&u.to_string()),
            (_, _, Some(d)) => out.push_str(&fmt_double(d)),
            _ => out.push_str("null"),
        },
        Value::String(s) => write_str(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    if !pretty {
                        out.push(' ');
                    }
                }
                newline(out, pretty, depth + 1);
                write_value(out, x, pretty, depth + 1);
            }
            newline(out, pretty, depth);
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    if !pretty {
                        out.push(' ');
                    }
                }
                newline(out, pretty, depth + 1);
                write_str(out, k);
                out.push_str(": ");
                write_value(out, x, pretty, depth + 1);
            }
            newline(out, pretty, depth);
            out.push('}');
        }
    }
}

/// One QMP output message: the value as QEMU writes it, then CRLF.
pub fn to_wire(v: &Value, pretty: bool) -> String {
    let mut out = String::new();
    write_value(&mut out, v, pretty, 0);
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests;
