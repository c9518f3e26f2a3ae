//! Tests of the expression parser and evaluator: precedence, constants, real and complex
//! arithmetic, exact first and second derivatives (against closed forms and finite
//! differences), parameter derivatives, and parse errors with their positions.

use eigentrack::expr::{is_reserved, is_valid_name, Expr, ScalarJet};
use eigentrack::{Complex64, Error};
use std::f64::consts::{E, PI};

fn c(re: f64, im: f64) -> Complex64 {
    Complex64::new(re, im)
}

fn real(src: &str, t: f64) -> f64 {
    Expr::parse(src, &["t"]).unwrap().eval(&[t]).unwrap()
}

fn cplx(src: &str, t: f64) -> Complex64 {
    Expr::parse(src, &["t"])
        .unwrap()
        .eval(&[c(t, 0.0)])
        .unwrap()
}

fn jet(src: &str, t: f64) -> ScalarJet<f64> {
    Expr::parse(src, &["t"]).unwrap().jet(&[t], 0).unwrap()
}

fn cjet(src: &str, t: f64) -> ScalarJet<Complex64> {
    Expr::parse(src, &["t"])
        .unwrap()
        .jet(&[c(t, 0.0)], 0)
        .unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

fn cclose(a: Complex64, b: Complex64, tol: f64) -> bool {
    (a - b).norm() <= tol * (1.0 + b.norm())
}

#[test]
fn precedence_and_associativity() {
    let cases = [
        ("2+3*4", 14.0),
        ("(2+3)*4", 20.0),
        ("-2^2", -4.0),
        ("(-2)^2", 4.0),
        ("2^3^2", 512.0),
        ("2**3", 8.0),
        ("2^-1", 0.5),
        ("10/4/5", 0.5),
        ("2-3-4", -5.0),
        ("--3", 3.0),
        ("+3 - -2", 5.0),
        ("2*-t", -6.0),
        ("1e-3", 1e-3),
        ("1.5E+2", 150.0),
        (".5", 0.5),
        ("3.", 3.0),
        ("  t  *  t ", 9.0),
        ("(-2)^3", -8.0),
        ("t − 1", 2.0), // Unicode minus
        ("2·t", 6.0),   // middle dot
    ];
    for (src, want) in cases {
        assert_eq!(real(src, 3.0), want, "{src}");
    }
}

#[test]
fn constants_and_functions() {
    assert_eq!(real("pi", 0.0), PI);
    assert_eq!(real("e", 0.0), E);
    assert_eq!(real("sin(pi/2)", 0.0), 1.0);
    assert!(close(real("cos(pi)", 0.0), -1.0, 1e-16));
    assert!(close(real("tan(pi/4)", 0.0), 1.0, 1e-15));
    assert_eq!(real("exp(1)", 0.0), E);
    assert_eq!(real("log(e)", 0.0), 1.0);
    assert_eq!(real("sqrt(16)", 0.0), 4.0);
    assert!(close(real("sinh(1)", 0.0), (E - 1.0 / E) / 2.0, 1e-15));
    assert!(close(real("cosh(1)", 0.0), (E + 1.0 / E) / 2.0, 1e-15));
    assert!(close(
        real("tanh(1)", 0.0),
        (E * E - 1.0) / (E * E + 1.0),
        1e-15
    ));
    assert_eq!(real("abs(-2.5)", 0.0), 2.5);
    assert_eq!(real("exp(t^2) - 1", 0.5), 0.25f64.exp() - 1.0);
}

#[test]
fn complex_arithmetic() {
    assert_eq!(cplx("i*i", 0.0), c(-1.0, 0.0));
    assert!(cclose(cplx("exp(i*pi)", 0.0), c(-1.0, 0.0), 1e-15));
    assert!(cclose(cplx("sqrt(-4 + 0*i)", 0.0), c(0.0, 2.0), 1e-15));
    assert!(cclose(cplx("log(-1 + 0*i)", 0.0), c(0.0, PI), 1e-15));
    assert_eq!(cplx("abs(3 + 4*i)", 0.0), c(5.0, 0.0));
    assert!(cclose(cplx("(1+i)^2", 0.0), c(0.0, 2.0), 1e-15));
    assert!(cclose(cplx("i^i", 0.0), c((-PI / 2.0).exp(), 0.0), 1e-15));
    assert_eq!(cplx("(t*i)^3", 2.0), c(0.0, -8.0));
    // complex arithmetic without i: principal branches for negative arguments
    assert!(cclose(cplx("sqrt(t)", -9.0), c(0.0, 3.0), 1e-15));
    assert!(cclose(cplx("t^0.5", -9.0), c(0.0, 3.0), 1e-15));
}

#[test]
fn real_arithmetic_has_real_semantics() {
    assert!(real("sqrt(t)", -1.0).is_nan());
    assert!(real("log(t)", -1.0).is_nan());
    assert!(real("t^0.5", -1.0).is_nan());
    assert_eq!(real("t^3", -2.0), -8.0);
    assert_eq!(real("1/t", 0.0), f64::INFINITY);
    let e = Expr::parse("i*t", &["t"]).unwrap();
    assert!(!e.is_real());
    assert!(Expr::parse("sqrt(t)", &["t"]).unwrap().is_real());
    assert!(matches!(
        e.eval(&[1.0f64]),
        Err(Error::InvalidArgument {
            name: "arithmetic",
            ..
        })
    ));
    assert_eq!(e.eval(&[c(1.0, 0.0)]).unwrap(), c(0.0, 1.0));
}

#[test]
fn variables_and_arity() {
    let e = Expr::parse("a*t + b", &["t", "a", "b"]).unwrap();
    assert_eq!(e.num_vars(), 3);
    assert_eq!(e.eval(&[2.0, 3.0, 4.0]).unwrap(), 10.0);
    assert!(e.depends_on(0) && e.depends_on(1) && e.depends_on(2));
    assert!(!Expr::parse("pi*2", &["t"]).unwrap().depends_on(0));
    assert!(matches!(
        e.eval(&[1.0, 2.0]),
        Err(Error::InvalidArgument { name: "vars", .. })
    ));
    // a variable named like a constant is refused; names are case-sensitive
    assert!(Expr::parse("t", &["t", "e"]).is_err());
    assert!(Expr::parse("t", &["t", "sin"]).is_err());
    assert!(Expr::parse("t", &["t", "t"]).is_err());
    assert!(Expr::parse("t", &["2x"]).is_err());
    assert_eq!(
        Expr::parse("E*2", &["E"]).unwrap().eval(&[1.5]).unwrap(),
        3.0
    );
    assert!(is_reserved("i") && is_reserved("tanh") && !is_reserved("t"));
    assert!(is_valid_name("_g1") && !is_valid_name("g-1"));
    assert_eq!(e.source(), "a*t + b");
    assert_eq!(e.to_string(), "a*t + b");
}

/// Each function's value, first and second derivative at a point, from closed forms.
#[test]
fn exact_derivatives_of_each_function() {
    let t: f64 = 0.37;
    // u = 2t + 0.1, u' = 2, u'' = 0: f(u)' = 2 f'(u), f(u)'' = 4 f''(u)
    let u = 2.0 * t + 0.1;
    type D = fn(f64) -> (f64, f64, f64);
    let cases: [(&str, D); 10] = [
        ("sin", |u| (u.sin(), u.cos(), -u.sin())),
        ("cos", |u| (u.cos(), -u.sin(), -u.cos())),
        ("tan", |u| {
            let s = 1.0 / u.cos().powi(2);
            (u.tan(), s, 2.0 * u.tan() * s)
        }),
        ("exp", |u| (u.exp(), u.exp(), u.exp())),
        ("log", |u| (u.ln(), 1.0 / u, -1.0 / (u * u))),
        ("sqrt", |u| (u.sqrt(), 0.5 / u.sqrt(), -0.25 * u.powf(-1.5))),
        ("sinh", |u| (u.sinh(), u.cosh(), u.sinh())),
        ("cosh", |u| (u.cosh(), u.sinh(), u.cosh())),
        ("tanh", |u| {
            let s = 1.0 / u.cosh().powi(2);
            (u.tanh(), s, -2.0 * u.tanh() * s)
        }),
        ("abs", |u| (u.abs(), u.signum(), 0.0)),
    ];
    for (name, f) in cases {
        let (v, d1, d2) = f(u);
        let src = format!("{name}(2*t + 0.1)");
        let j = jet(&src, t);
        assert!(close(j.value, v, 1e-15), "{name} value");
        assert!(
            close(j.d1, 2.0 * d1, 1e-14),
            "{name} d1 {} vs {}",
            j.d1,
            2.0 * d1
        );
        assert!(
            close(j.d2, 4.0 * d2, 1e-14),
            "{name} d2 {} vs {}",
            j.d2,
            4.0 * d2
        );
        // the same in complex arithmetic
        let cj = cjet(&src, t);
        assert!(cclose(cj.value, c(v, 0.0), 1e-15), "{name} complex value");
        assert!(cclose(cj.d1, c(2.0 * d1, 0.0), 1e-14), "{name} complex d1");
        assert!(cclose(cj.d2, c(4.0 * d2, 0.0), 1e-14), "{name} complex d2");
    }
}

#[test]
fn exact_derivatives_of_the_crossing_branch() {
    // λ₂(t) = e^{t²} − 1: λ₂' = 2t e^{t²}, λ₂'' = (2 + 4t²) e^{t²}
    for t in [-1.0, -0.3, 0.0, 0.746882, 1.5] {
        let j = jet("exp(t^2) - 1", t);
        let ex = (t * t).exp();
        assert!(close(j.value, ex - 1.0, 1e-15));
        assert!(close(j.d1, 2.0 * t * ex, 1e-15));
        assert!(close(j.d2, (2.0 + 4.0 * t * t) * ex, 1e-15));
    }
}

#[test]
fn products_quotients_and_powers() {
    let t: f64 = 1.3;
    // (t² sin t)'' = 2 sin t + 4t cos t − t² sin t
    let j = jet("t^2*sin(t)", t);
    assert!(close(j.d1, 2.0 * t * t.sin() + t * t * t.cos(), 1e-15));
    assert!(close(
        j.d2,
        2.0 * t.sin() + 4.0 * t * t.cos() - t * t * t.sin(),
        1e-14
    ));
    // (1/t)'' = 2/t³
    let j = jet("1/t", t);
    assert!(close(j.d1, -1.0 / (t * t), 1e-15) && close(j.d2, 2.0 / t.powi(3), 1e-15));
    // t^t: (t^t)' = t^t (ln t + 1), (t^t)'' = t^t ((ln t + 1)² + 1/t)
    let j = jet("t^t", t);
    let tt = t.powf(t);
    assert!(close(j.value, tt, 1e-15));
    assert!(close(j.d1, tt * (t.ln() + 1.0), 1e-14));
    assert!(close(j.d2, tt * ((t.ln() + 1.0).powi(2) + 1.0 / t), 1e-14));
    // 2^t
    let j = jet("2^t", t);
    let l = 2f64.ln();
    assert!(close(j.d2, 2f64.powf(t) * l * l, 1e-14));
    // t^2.5 (non-integer constant exponent)
    let j = jet("t^2.5", t);
    assert!(close(j.d2, 2.5 * 1.5 * t.powf(0.5), 1e-14));
}

#[test]
fn integer_powers_at_zero_have_no_nan() {
    let j = jet("t^2", 0.0);
    assert_eq!((j.value, j.d1, j.d2), (0.0, 0.0, 2.0));
    let j = jet("t^1", 0.0);
    assert_eq!((j.value, j.d1, j.d2), (0.0, 1.0, 0.0));
    let j = jet("t^0", 0.0);
    assert_eq!((j.value, j.d1, j.d2), (1.0, 0.0, 0.0));
    let j = cjet("t^3", 0.0);
    assert_eq!(
        (j.value, j.d1, j.d2),
        (c(0.0, 0.0), c(0.0, 0.0), c(0.0, 0.0))
    );
    // complex 0^2.5: value and both derivatives vanish
    let j = cjet("t^2.5", 0.0);
    assert_eq!(
        (j.value, j.d1, j.d2),
        (c(0.0, 0.0), c(0.0, 0.0), c(0.0, 0.0))
    );
    // sqrt at 0: the derivative is genuinely infinite
    assert!(jet("sqrt(t)", 0.0).d1.is_infinite());
}

#[test]
fn abs_derivatives_real_and_complex() {
    let j = jet("abs(t)", -2.0);
    assert_eq!((j.value, j.d1, j.d2), (2.0, -1.0, 0.0));
    let j = jet("abs(t)", 0.0);
    assert_eq!((j.value, j.d1, j.d2), (0.0, 0.0, 0.0));
    let j = jet("abs(t^2 - 1)", 0.5); // = 1 − t² there
    assert!(close(j.d1, -1.0, 1e-15) && close(j.d2, -2.0, 1e-15));
    // |t + i| = sqrt(t² + 1)
    let t: f64 = 0.7;
    let j = cjet("abs(t + i)", t);
    let r = (t * t + 1.0).sqrt();
    assert!(cclose(j.value, c(r, 0.0), 1e-15));
    assert!(cclose(j.d1, c(t / r, 0.0), 1e-15));
    assert!(cclose(j.d2, c(1.0 / r.powi(3), 0.0), 1e-15));
}

#[test]
fn complex_derivatives() {
    // e^{i t}: d = i e^{it}, dd = −e^{it}
    let t: f64 = 0.9;
    let j = cjet("exp(i*t)", t);
    let z = c(t.cos(), t.sin());
    assert!(cclose(j.d1, c(0.0, 1.0) * z, 1e-15));
    assert!(cclose(j.d2, -z, 1e-15));
    // sqrt(t) for t < 0 in complex arithmetic: i·sqrt(−t)
    let t = -4.0;
    let j = cjet("sqrt(t)", t);
    assert!(cclose(j.value, c(0.0, 2.0), 1e-15));
    // d/dt sqrt(t) = 1/(2 sqrt t) = 1/(4i) = −i/4
    assert!(cclose(j.d1, c(0.0, -0.25), 1e-15));
}

/// A compound expression in t and a parameter, against central finite differences in
/// both variables.
#[test]
fn compound_expression_against_finite_differences() {
    let src = "sin(t)^2*exp(-t/3) + tanh(t*g)/sqrt(1 + t^2) + log(2 + cos(t)) + abs(t - 0.3)^3 + t^t - cosh(g*t)*tan(t/4)";
    let e = Expr::parse(src, &["t", "g"]).unwrap();
    let f = |t: f64, g: f64| e.eval(&[t, g]).unwrap();
    for &(t, g) in &[(0.8, 0.5), (1.7, -1.2), (0.35, 2.0)] {
        let h = 1e-4;
        let fd1 = (f(t + h, g) - f(t - h, g)) / (2.0 * h);
        let fd2 = (f(t + h, g) - 2.0 * f(t, g) + f(t - h, g)) / (h * h);
        let j = e.jet(&[t, g], 0).unwrap();
        assert!(close(j.value, f(t, g), 1e-15));
        assert!(close(j.d1, fd1, 1e-7), "d/dt {} vs {fd1}", j.d1);
        assert!(close(j.d2, fd2, 1e-5), "d²/dt² {} vs {fd2}", j.d2);
        let gd1 = (f(t, g + h) - f(t, g - h)) / (2.0 * h);
        let gd2 = (f(t, g + h) - 2.0 * f(t, g) + f(t, g - h)) / (h * h);
        let jg = e.jet(&[t, g], 1).unwrap();
        assert!(close(jg.d1, gd1, 1e-7), "d/dg {} vs {gd1}", jg.d1);
        assert!(close(jg.d2, gd2, 1e-5), "d²/dg² {} vs {gd2}", jg.d2);
        // complex arithmetic agrees on the real line
        let cj = e.jet(&[c(t, 0.0), c(g, 0.0)], 0).unwrap();
        assert!(cclose(cj.d2, c(j.d2, 0.0), 1e-13));
    }
}

#[test]
fn parameter_derivative_seed() {
    let e = Expr::parse("g^2*t + i*g", &["t", "g"]).unwrap();
    let j = e.jet(&[c(3.0, 0.0), c(0.5, 0.0)], 1).unwrap();
    assert_eq!(j.d1, c(2.0 * 0.5 * 3.0, 1.0));
    assert_eq!(j.d2, c(2.0 * 3.0, 0.0));
    // a seed that is no variable gives zero derivatives
    let j = e.jet(&[c(3.0, 0.0), c(0.5, 0.0)], 7).unwrap();
    assert_eq!((j.d1, j.d2), (c(0.0, 0.0), c(0.0, 0.0)));
}

fn parse_error(src: &str, names: &[&str]) -> (usize, String) {
    match Expr::parse(src, names) {
        Err(Error::Expression {
            term: None,
            expr,
            position,
            reason,
        }) => {
            assert_eq!(expr, src);
            (position, reason)
        }
        other => panic!("{src}: expected an expression error, got {other:?}"),
    }
}

#[test]
fn parse_errors_carry_positions() {
    let cases: [(&str, usize, &str); 14] = [
        ("sinn(t)", 1, "unknown function \"sinn\""),
        ("t + g", 5, "unknown name \"g\""),
        ("2*(t+1", 7, "missing \")\""),
        ("sin(t", 6, "missing \")\""),
        ("t +", 4, "unexpected end"),
        ("", 1, "unexpected end"),
        ("t $ 2", 3, "unexpected character '$'"),
        ("2t", 2, "after a complete expression"),
        ("sin t", 1, "needs its argument in parentheses"),
        (")", 1, "unexpected \")\""),
        ("t)", 2, "unmatched \")\""),
        ("1e999", 1, "too large"),
        ("3 * * 2", 5, "expected a number"),
        ("λ + t", 1, "unexpected character 'λ'"),
    ];
    for (src, pos, what) in cases {
        let (p, reason) = parse_error(src, &["t"]);
        assert_eq!(p, pos, "{src}: {reason}");
        assert!(reason.contains(what), "{src}: {reason}");
    }
    // positions count characters, not bytes
    let (p, _) = parse_error("t·2 + x", &["t"]);
    assert_eq!(p, 7);
}

#[test]
fn error_message_names_expression_and_position() {
    let e = Expr::parse("exp(t) + foo(t)", &["t"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "expression \"exp(t) + foo(t)\", position 10: unknown function \"foo\" (functions: sin cos tan exp log sqrt sinh cosh tanh abs)"
    );
}
