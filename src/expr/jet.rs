//! Second-order forward-mode jets: the value and the first two derivatives along one
//! variable, propagated through the expression tree by the chain rule.

use super::Scalar;

/// A value with its first and second derivatives along one variable: the result of
/// [`Expr::jet`](super::Expr::jet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalarJet<S> {
    /// f.
    pub value: S,
    /// df/dv.
    pub d1: S,
    /// d²f/dv².
    pub d2: S,
}

impl<S: Scalar> ScalarJet<S> {
    fn constant(value: S) -> Self {
        let zero = S::from_f64(0.0);
        ScalarJet {
            value,
            d1: zero,
            d2: zero,
        }
    }
    fn is_constant(&self) -> bool {
        let zero = S::from_f64(0.0);
        self.d1 == zero && self.d2 == zero
    }
    /// f(u) from f(u), f′(u), f″(u): (f∘u)′ = f′u′, (f∘u)″ = f″u′² + f′u″.
    fn chain(self, f: S, f1: S, f2: S) -> Self {
        ScalarJet {
            value: f,
            d1: f1 * self.d1,
            d2: f2 * self.d1 * self.d1 + f1 * self.d2,
        }
    }
    fn add(self, o: Self) -> Self {
        ScalarJet {
            value: self.value + o.value,
            d1: self.d1 + o.d1,
            d2: self.d2 + o.d2,
        }
    }
    fn sub(self, o: Self) -> Self {
        ScalarJet {
            value: self.value - o.value,
            d1: self.d1 - o.d1,
            d2: self.d2 - o.d2,
        }
    }
    fn neg(self) -> Self {
        ScalarJet {
            value: -self.value,
            d1: -self.d1,
            d2: -self.d2,
        }
    }
    fn mul(self, o: Self) -> Self {
        let two = S::from_f64(2.0);
        ScalarJet {
            value: self.value * o.value,
            d1: self.d1 * o.value + self.value * o.d1,
            d2: self.d2 * o.value + two * self.d1 * o.d1 + self.value * o.d2,
        }
    }
    fn div(self, o: Self) -> Self {
        let two = S::from_f64(2.0);
        let w = self.value / o.value;
        let w1 = (self.d1 - w * o.d1) / o.value;
        let w2 = (self.d2 - two * w1 * o.d1 - w * o.d2) / o.value;
        ScalarJet {
            value: w,
            d1: w1,
            d2: w2,
        }
    }
    fn pow(self, w: Self) -> Self {
        let zero = S::from_f64(0.0);
        if w.is_constant() {
            if let Some(n) = w.value.as_integer() {
                // exact integer power; the zero terms avoid 0·∞ at u = 0
                let f = self.value.powi(n);
                let f1 = if n == 0 {
                    zero
                } else {
                    S::from_f64(f64::from(n)) * self.value.powi(n - 1)
                };
                let f2 = if n == 0 || n == 1 {
                    zero
                } else {
                    S::from_f64(f64::from(n) * f64::from(n - 1)) * self.value.powi(n - 2)
                };
                return self.chain(f, f1, f2);
            }
            let one = S::from_f64(1.0);
            let two = S::from_f64(2.0);
            let f = self.value.pow(w.value);
            let f1 = w.value * self.value.pow(w.value - one);
            let f2 = w.value * (w.value - one) * self.value.pow(w.value - two);
            return self.chain(f, f1, f2);
        }
        // u^w = exp(w · log u)
        w.mul(self.func(Func::Log)).func(Func::Exp)
    }
    fn func(self, func: Func) -> Self {
        let u = self.value;
        let one = S::from_f64(1.0);
        let two = S::from_f64(2.0);
        match func {
            Func::Sin => {
                let (s, c) = (u.sin(), u.cos());
                self.chain(s, c, -s)
            }
            Func::Cos => {
                let (s, c) = (u.sin(), u.cos());
                self.chain(c, -s, -c)
            }
            Func::Tan => {
                let t = u.tan();
                let sec2 = one + t * t;
                self.chain(t, sec2, two * t * sec2)
            }
            Func::Exp => {
                let e = u.exp();
                self.chain(e, e, e)
            }
            Func::Log => {
                let inv = one / u;
                self.chain(u.ln(), inv, -inv * inv)
            }
            Func::Sqrt => {
                let r = u.sqrt();
                let f1 = one / (two * r);
                self.chain(r, f1, -f1 / (two * u))
            }
            Func::Sinh => {
                let (s, c) = (u.sinh(), u.cosh());
                self.chain(s, c, s)
            }
            Func::Cosh => {
                let (s, c) = (u.sinh(), u.cosh());
                self.chain(c, s, c)
            }
            Func::Tanh => {
                let t = u.tanh();
                let sech2 = one - t * t;
                self.chain(t, sech2, -two * t * sech2)
            }
            Func::Abs => {
                // |u|′ = Re(ū u′)/|u|, |u|″ = (|u′|² + Re(ū u″) − |u|′²)/|u| along a real
                // variable; 0 at u = 0
                let r = u.modulus();
                if r == 0.0 {
                    return ScalarJet::constant(S::from_f64(0.0));
                }
                let d1 = (u.conjugate() * self.d1).re() / r;
                let d2 = (self.d1.modulus().powi(2) + (u.conjugate() * self.d2).re() - d1 * d1) / r;
                ScalarJet {
                    value: S::from_f64(r),
                    d1: S::from_f64(d1),
                    d2: S::from_f64(d2),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Sin,
    Cos,
    Tan,
    Exp,
    Log,
    Sqrt,
    Sinh,
    Cosh,
    Tanh,
    Abs,
}

impl Func {
    pub(crate) fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" => Func::Tan,
            "exp" => Func::Exp,
            "log" => Func::Log,
            "sqrt" => Func::Sqrt,
            "sinh" => Func::Sinh,
            "cosh" => Func::Cosh,
            "tanh" => Func::Tanh,
            "abs" => Func::Abs,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Num(f64),
    I,
    Var(usize),
    Neg(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    Call(Func, Box<Node>),
}

impl Node {
    pub(crate) fn any(&self, pred: &impl Fn(&Node) -> bool) -> bool {
        pred(self)
            || match self {
                Node::Neg(a) | Node::Call(_, a) => a.any(pred),
                Node::Bin(_, a, b) => a.any(pred) || b.any(pred),
                Node::Num(_) | Node::I | Node::Var(_) => false,
            }
    }

    pub(crate) fn jet<S: Scalar>(&self, vars: &[S], seed: usize) -> ScalarJet<S> {
        match self {
            Node::Num(x) => ScalarJet::constant(S::from_f64(*x)),
            Node::I => {
                ScalarJet::constant(S::imaginary_unit().unwrap_or_else(|| S::from_f64(f64::NAN)))
            }
            Node::Var(k) => {
                let mut j = ScalarJet::constant(vars[*k]);
                if *k == seed {
                    j.d1 = S::from_f64(1.0);
                }
                j
            }
            Node::Neg(a) => a.jet(vars, seed).neg(),
            Node::Call(f, a) => a.jet(vars, seed).func(*f),
            Node::Bin(op, a, b) => {
                let (a, b) = (a.jet(vars, seed), b.jet(vars, seed));
                match op {
                    BinOp::Add => a.add(b),
                    BinOp::Sub => a.sub(b),
                    BinOp::Mul => a.mul(b),
                    BinOp::Div => a.div(b),
                    BinOp::Pow => a.pow(b),
                }
            }
        }
    }

    pub(crate) fn eval<S: Scalar>(&self, vars: &[S]) -> S {
        match self {
            Node::Num(x) => S::from_f64(*x),
            Node::I => S::imaginary_unit().unwrap_or_else(|| S::from_f64(f64::NAN)),
            Node::Var(k) => vars[*k],
            Node::Neg(a) => -a.eval(vars),
            // functions and powers share the jet code (a constant jet costs little)
            Node::Call(..) | Node::Bin(BinOp::Pow, ..) => self.jet(vars, usize::MAX).value,
            Node::Bin(op, a, b) => {
                let (a, b) = (a.eval(vars), b.eval(vars));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    _ => a / b,
                }
            }
        }
    }
}
