//! The lexer and the recursive-descent parser (grammar in the [module
//! documentation](super)).

use super::jet::{BinOp, Func, Node};
use super::{CONSTANTS, FUNCTIONS};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    /// 1-based character position of the first character.
    pub(crate) pos: usize,
}

impl Token {
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            Tok::Num(_) => "number".into(),
            Tok::Name(n) => format!("name \"{n}\""),
            Tok::Plus => "\"+\"".into(),
            Tok::Minus => "\"-\"".into(),
            Tok::Star => "\"*\"".into(),
            Tok::Slash => "\"/\"".into(),
            Tok::Caret => "\"^\"".into(),
            Tok::LParen => "\"(\"".into(),
            Tok::RParen => "\")\"".into(),
        }
    }
}

fn expr_error(source: &str, position: usize, reason: String) -> Error {
    Error::Expression {
        term: None,
        expr: source.to_string(),
        position,
        reason,
    }
}

pub(crate) fn lex(source: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        let pos = k + 1;
        if c.is_whitespace() {
            k += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(k + 1).is_some_and(char::is_ascii_digit)) {
            let start = k;
            while k < chars.len() && chars[k].is_ascii_digit() {
                k += 1;
            }
            if k < chars.len() && chars[k] == '.' {
                k += 1;
                while k < chars.len() && chars[k].is_ascii_digit() {
                    k += 1;
                }
            }
            // exponent only when digits follow, so "2e" is 2 then the name e
            if k < chars.len() && (chars[k] == 'e' || chars[k] == 'E') {
                let mut j = k + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    k = j;
                    while k < chars.len() && chars[k].is_ascii_digit() {
                        k += 1;
                    }
                }
            }
            let text: String = chars[start..k].iter().collect();
            let value: f64 = text
                .parse()
                .map_err(|_| expr_error(source, pos, format!("malformed number \"{text}\"")))?;
            if !value.is_finite() {
                return Err(expr_error(
                    source,
                    pos,
                    format!("the number \"{text}\" is too large for a 64-bit float"),
                ));
            }
            tokens.push(Token {
                kind: Tok::Num(value),
                pos,
            });
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = k;
            while k < chars.len() && (chars[k].is_ascii_alphanumeric() || chars[k] == '_') {
                k += 1;
            }
            tokens.push(Token {
                kind: Tok::Name(chars[start..k].iter().collect()),
                pos,
            });
            continue;
        }
        let kind = match c {
            '+' => Tok::Plus,
            '-' | '−' => Tok::Minus,
            '*' if chars.get(k + 1) == Some(&'*') => {
                k += 1;
                Tok::Caret
            }
            '*' | '·' => Tok::Star,
            '/' => Tok::Slash,
            '^' => Tok::Caret,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            _ => {
                return Err(expr_error(
                    source,
                    pos,
                    format!("unexpected character '{c}'"),
                ))
            }
        };
        tokens.push(Token { kind, pos });
        k += 1;
    }
    Ok(tokens)
}

pub(crate) struct Parser<'a> {
    pub(crate) source: &'a str,
    pub(crate) tokens: Vec<Token>,
    pub(crate) pos: usize,
    pub(crate) names: &'a [&'a str],
}

impl Parser<'_> {
    pub(crate) fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }
    pub(crate) fn error(&self, position: usize, reason: String) -> Error {
        expr_error(self.source, position, reason)
    }
    fn end_pos(&self) -> usize {
        self.source.chars().count() + 1
    }
    fn eat(&mut self, kind: &Tok) -> bool {
        if self.peek().is_some_and(|t| t.kind == *kind) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn expr(&mut self) -> Result<Node> {
        let mut lhs = self.term()?;
        loop {
            let op = if self.eat(&Tok::Plus) {
                BinOp::Add
            } else if self.eat(&Tok::Minus) {
                BinOp::Sub
            } else {
                return Ok(lhs);
            };
            let rhs = self.term()?;
            lhs = Node::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn term(&mut self) -> Result<Node> {
        let mut lhs = self.unary()?;
        loop {
            let op = if self.eat(&Tok::Star) {
                BinOp::Mul
            } else if self.eat(&Tok::Slash) {
                BinOp::Div
            } else {
                return Ok(lhs);
            };
            let rhs = self.unary()?;
            lhs = Node::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn unary(&mut self) -> Result<Node> {
        if self.eat(&Tok::Minus) {
            return Ok(Node::Neg(Box::new(self.unary()?)));
        }
        if self.eat(&Tok::Plus) {
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Result<Node> {
        let base = self.atom()?;
        if self.eat(&Tok::Caret) {
            let exponent = self.unary()?;
            return Ok(Node::Bin(BinOp::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Node> {
        let Some(tok) = self.peek().cloned() else {
            return Err(self.error(self.end_pos(), "unexpected end of expression".into()));
        };
        self.pos += 1;
        match tok.kind {
            Tok::Num(x) => Ok(Node::Num(x)),
            Tok::LParen => {
                let inner = self.expr()?;
                if !self.eat(&Tok::RParen) {
                    let at = self.peek().map_or(self.end_pos(), |t| t.pos);
                    return Err(self.error(
                        at,
                        format!("missing \")\" to close the \"(\" at position {}", tok.pos),
                    ));
                }
                Ok(inner)
            }
            Tok::Name(name) => {
                let call = self.peek().is_some_and(|t| t.kind == Tok::LParen);
                if call {
                    let Some(func) = Func::from_name(&name) else {
                        return Err(self.error(
                            tok.pos,
                            format!(
                                "unknown function \"{name}\" (functions: {})",
                                FUNCTIONS.join(" ")
                            ),
                        ));
                    };
                    let open = self.tokens[self.pos].pos;
                    self.pos += 1;
                    let arg = self.expr()?;
                    if !self.eat(&Tok::RParen) {
                        let at = self.peek().map_or(self.end_pos(), |t| t.pos);
                        return Err(self.error(
                            at,
                            format!("missing \")\" to close the \"(\" at position {open}"),
                        ));
                    }
                    return Ok(Node::Call(func, Box::new(arg)));
                }
                if let Some(k) = self.names.iter().position(|n| *n == name) {
                    return Ok(Node::Var(k));
                }
                match name.as_str() {
                    "pi" => Ok(Node::Num(std::f64::consts::PI)),
                    "e" => Ok(Node::Num(std::f64::consts::E)),
                    "i" => Ok(Node::I),
                    _ if Func::from_name(&name).is_some() => Err(self.error(
                        tok.pos,
                        format!("the function \"{name}\" needs its argument in parentheses"),
                    )),
                    _ => {
                        let mut known: Vec<&str> = self.names.to_vec();
                        known.extend(CONSTANTS);
                        Err(self.error(
                            tok.pos,
                            format!("unknown name \"{name}\" (known: {})", known.join(", ")),
                        ))
                    }
                }
            }
            Tok::RParen => Err(self.error(tok.pos, "unexpected \")\"".into())),
            _ => Err(self.error(
                tok.pos,
                format!(
                    "expected a number, a name or \"(\", found {}",
                    tok.describe()
                ),
            )),
        }
    }
}
