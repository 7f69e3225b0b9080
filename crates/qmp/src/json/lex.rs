//! Splitting QMP input into tokens, resumable at any byte: input arrives in
//! pieces, so the token being read and what it is so far persist between
//! calls. Which inputs are tokens, and how the lexer resynchronizes after a
//! bad byte, follow QEMU 7.2's json-lexer (see the tests).

use super::MAX_TOKEN_SIZE;

/// A complete token's kind; its bytes are in [`Lexer::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// One of `{ } [ ] : ,`.
    Punct(u8),
    Int,
    Float,
    /// A run of lowercase letters: `true`, `false`, `null`, or an invalid keyword.
    Word,
    /// A string, quotes and escapes included.
    Str,
}

/// What a call to [`Lexer::lex`] completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lexed {
    Token(Kind),
    /// Bytes that are no token (the bad byte included).
    Stray,
    /// A token that grew past `MAX_TOKEN_SIZE`: dropped; the lexer goes on
    /// with the next byte as if between tokens.
    Oversized,
}

/// Where a number is: its integer part, its fraction, or its exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Int,
    Frac,
    Exp,
}

/// What the lexer is in the middle of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Nothing,
    /// After a stray byte: dropping input up to a byte where lexing can
    /// start over.
    Junk,
    /// A string closed by `quote`; `escaped` right after a backslash.
    Str {
        quote: u8,
        escaped: bool,
    },
    Num(Part),
    Word,
}

pub(super) struct Lexer {
    reading: Reading,
    /// The bytes of the token (or stray input) so far.
    pub(super) text: Vec<u8>,
}

/// Bytes a string may hold: QEMU's lexer refuses control characters and
/// 0xfe/0xff (never valid in UTF-8); anything else passes, checked later.
fn string_byte(b: u8) -> bool {
    (0x20..0xfe).contains(&b)
}

/// Where lexing resumes after a stray byte (as QEMU's lexer): structural
/// characters, control characters but the tab, and 0xfe/0xff.
fn resumes_at(b: u8) -> bool {
    matches!(b, b'{' | b'}' | b'[' | b']' | b':' | b',' | 0xfe | 0xff) || (b < 0x20 && b != b'\t')
}

impl Lexer {
    pub(super) fn new() -> Lexer {
        Lexer { reading: Reading::Nothing, text: Vec::new() }
    }

    /// Lex from the start of `input` (not empty): the bytes used, and what
    /// they completed, if anything. It uses no byte only when it ends a
    /// number, a keyword or skipped junk, so the next call goes further.
    pub(super) fn lex(&mut self, input: &[u8]) -> (usize, Option<Lexed>) {
        let Some(&first) = input.first() else { return (0, None) };
        let (used, done) = match self.reading {
            Reading::Nothing => self.start(first),
            Reading::Junk => match input.iter().position(|&b| resumes_at(b)) {
                Some(n) => {
                    self.reading = Reading::Nothing;
                    (n, None)
                }
                None => (input.len(), None),
            },
            Reading::Str { quote, escaped } => self.string(input, quote, escaped),
            Reading::Num(part) => self.number(first, part),
            Reading::Word => {
                let room = (MAX_TOKEN_SIZE + 1).saturating_sub(self.text.len());
                let n = input.iter().take(room).take_while(|b| b.is_ascii_lowercase()).count();
                if n == 0 {
                    (0, self.finish(Kind::Word))
                } else {
                    self.text.extend_from_slice(&input[..n]);
                    (n, None)
                }
            }
        };
        if done.is_none() && self.text.len() > MAX_TOKEN_SIZE {
            // As QEMU: a token may not grow without bound.
            self.reading = Reading::Nothing;
            return (used, Some(Lexed::Oversized));
        }
        (used, done)
    }

    /// The first byte of a token.
    fn start(&mut self, b: u8) -> (usize, Option<Lexed>) {
        self.text.clear();
        let next = match b {
            b' ' | b'\t' | b'\r' | b'\n' => return (1, None),
            b'{' | b'}' | b'[' | b']' | b':' | b',' => {
                self.text.push(b);
                return (1, Some(Lexed::Token(Kind::Punct(b))));
            }
            b'"' | b'\'' => Reading::Str { quote: b, escaped: false },
            b'-' | b'0'..=b'9' => Reading::Num(Part::Int),
            b'a'..=b'z' => Reading::Word,
            _ => return self.stray(b),
        };
        self.text.push(b);
        self.reading = next;
        (1, None)
    }

    /// `b` cannot continue the input so far: it all becomes a stray token.
    fn stray(&mut self, b: u8) -> (usize, Option<Lexed>) {
        self.text.push(b);
        self.reading = Reading::Junk;
        (1, Some(Lexed::Stray))
    }

    /// The token is complete without the byte at hand.
    fn finish(&mut self, kind: Kind) -> Option<Lexed> {
        self.reading = Reading::Nothing;
        Some(Lexed::Token(kind))
    }

    fn string(&mut self, input: &[u8], quote: u8, escaped: bool) -> (usize, Option<Lexed>) {
        let Some(&b) = input.first() else { return (0, None) };
        if !string_byte(b) {
            return self.stray(b);
        }
        if escaped || b == b'\\' {
            // Escapes are checked when the string is parsed.
            self.text.push(b);
            self.reading = Reading::Str { quote, escaped: !escaped };
            return (1, None);
        }
        if b == quote {
            self.text.push(b);
            return (1, self.finish(Kind::Str));
        }
        // Plain bytes in bulk, but never past the size limit.
        let room = (MAX_TOKEN_SIZE + 1).saturating_sub(self.text.len()).max(1);
        let n = input.iter().take(room).take_while(|&&c| string_byte(c) && c != quote && c != b'\\').count();
        self.text.extend_from_slice(&input[..n]);
        (n, None)
    }

    /// One more byte of `-?digits(.digits)?([eE][+-]?digits)?`, where the
    /// integer part is 0 or does not start with 0. As QEMU's lexer, a lone
    /// 0 takes no exponent: `0e5` is `0` and then a keyword.
    fn number(&mut self, b: u8, part: Part) -> (usize, Option<Lexed>) {
        let last = self.text.last().copied().unwrap_or(b'-');
        let lone_zero = part == Part::Int && matches!(self.text.as_slice(), b"0" | b"-0");
        let next = match b {
            b'0'..=b'9' if lone_zero => return self.stray(b),
            b'0'..=b'9' => part,
            b'+' | b'-' if matches!(last, b'e' | b'E') => part,
            // A digit is due after a sign, a point or an exponent mark.
            _ if matches!(last, b'-' | b'+' | b'.' | b'e' | b'E') => return self.stray(b),
            b'.' if part == Part::Int => Part::Frac,
            b'e' | b'E' if part != Part::Exp && !lone_zero => Part::Exp,
            _ => return (0, self.finish(if part == Part::Int { Kind::Int } else { Kind::Float })),
        };
        self.text.push(b);
        self.reading = Reading::Num(next);
        (1, None)
    }
}
