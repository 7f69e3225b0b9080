//! QEMU's JSON dialect, byte for byte where a QMP client could tell:
//! input split into messages and parsed as QEMU 7.2 does (the same values,
//! the same errors, the same recovery after bad input; `lex` and `parse`),
//! and a writer that formats as qobject_to_json does (", " and ": "
//! separators, non-ASCII as `\uXXXX`, doubles as `%.17g`, pretty form with
//! four-space indentation).
//!
//! Extensions QEMU accepts and so do we: single-quoted strings and `\'`.
//! QMP input takes no `%` interpolation: a `%` is a stray byte.

mod lex;
mod parse;

use serde_json::Value;

use lex::{Kind, Lexed, Lexer};

/// Most bytes the tokens of one message may hold (QEMU's limit).
pub const MAX_TOKEN_SIZE: usize = 64 << 20;
/// Most tokens one message may hold.
pub const MAX_TOKEN_COUNT: usize = 2 << 20;
/// Deepest nesting of `{` and `[` in one message.
pub const MAX_NESTING: i64 = 1 << 10;

/// One parsed message, or the error QEMU would report for it.
pub type Message = Result<Value, String>;

/// Splits a byte stream into JSON messages as QEMU's does: a message ends
/// when its braces and brackets balance (or either goes negative), at a
/// stray byte, or when it exceeds a limit.
pub struct Streamer {
    lexer: Lexer,
    message: Pending,
}

/// The message being read.
#[derive(Default)]
struct Pending {
    /// Each token's kind and where its text ends in `text`.
    tokens: Vec<(Kind, usize)>,
    text: Vec<u8>,
    /// Open `{` and `[` so far, less the closed ones.
    curly: i64,
    square: i64,
}

impl Pending {
    /// Add a token: the message it completes or refuses, if any.
    fn add(&mut self, kind: Kind, text: &[u8]) -> Option<Message> {
        match kind {
            Kind::Punct(b'{') => self.curly += 1,
            Kind::Punct(b'}') => self.curly -= 1,
            Kind::Punct(b'[') => self.square += 1,
            Kind::Punct(b']') => self.square -= 1,
            _ => {}
        }
        // As QEMU, each token counts one byte more than its text here.
        let refused = if self.text.len() + text.len() + 1 > MAX_TOKEN_SIZE {
            Some("JSON token size limit exceeded")
        } else if self.tokens.len() >= MAX_TOKEN_COUNT {
            Some("JSON token count limit exceeded")
        } else if self.curly + self.square > MAX_NESTING {
            Some("JSON nesting depth limit exceeded")
        } else {
            None
        };
        if let Some(e) = refused {
            *self = Pending::default();
            return Some(Err(e.to_string()));
        }
        self.text.extend_from_slice(text);
        self.tokens.push((kind, self.text.len()));
        let open = self.curly > 0 || self.square > 0;
        if open && self.curly >= 0 && self.square >= 0 {
            return None;
        }
        let message = std::mem::take(self);
        let mut start = 0;
        let tokens = message.tokens.iter().map(|&(kind, end)| {
            let text = message.text.get(start..end).unwrap_or_default();
            start = end;
            (kind, text)
        });
        Some(parse::parse(tokens))
    }
}

impl Default for Streamer {
    fn default() -> Self {
        Self::new()
    }
}

impl Streamer {
    pub fn new() -> Streamer {
        Streamer { lexer: Lexer::new(), message: Pending::default() }
    }

    /// Feed bytes; complete messages (and errors) are appended to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Message>) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let (used, done) = self.lexer.lex(rest);
            rest = rest.get(used..).unwrap_or_default();
            let Some(done) = done else { continue };
            let text = &self.lexer.text;
            let message = match done {
                Lexed::Token(kind) => self.message.add(kind, text),
                Lexed::Stray => {
                    self.message = Pending::default();
                    Some(Err(format!("JSON parse error, stray '{}'", parse::render(text))))
                }
                Lexed::Oversized => {
                    self.message = Pending::default();
                    Some(Err("JSON token size limit exceeded".to_string()))
                }
            };
            // Keep a small buffer, not one a huge token left behind.
            if self.lexer.text.capacity() > 1 << 16 {
                self.lexer.text = Vec::new();
            }
            self.lexer.text.clear();
            out.extend(message);
        }
    }
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
