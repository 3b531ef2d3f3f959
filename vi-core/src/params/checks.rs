//! The range checks of parameters, in scope inside [`crate::params!`] declarations.

use super::Check;

#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    Open(f64),
    Closed(f64),
    None,
}

/// An interval of numbers (finite unless an end is open to infinity), with an optional
/// reason shown in the error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    lo: End,
    hi: End,
    why: &'static str,
}

impl Range {
    /// Adds the reason to the error message, e.g. `"EG needs eta < 1/L"`.
    #[must_use]
    pub fn because(self, why: &'static str) -> Self {
        Self { why, ..self }
    }

    fn contains(&self, x: f64) -> bool {
        let lo = match self.lo {
            End::Open(a) => x > a,
            End::Closed(a) => x >= a,
            End::None => x.is_finite(),
        };
        let hi = match self.hi {
            End::Open(b) => x < b,
            End::Closed(b) => x <= b,
            End::None => x.is_finite(),
        };
        lo && hi
    }

    fn text(&self) -> String {
        match (self.lo, self.hi) {
            (End::Open(a), End::None) => format!("> {a}"),
            (End::Closed(a), End::None) => format!(">= {a}"),
            (End::None, End::Open(b)) => format!("< {b}"),
            (End::None, End::Closed(b)) => format!("<= {b}"),
            (End::None, End::None) => "finite".into(),
            (lo, hi) => {
                let (l, a) = match lo {
                    End::Open(a) => ("(", a),
                    End::Closed(a) => ("[", a),
                    End::None => ("(", f64::NEG_INFINITY),
                };
                let (r, b) = match hi {
                    End::Open(b) => (")", b),
                    End::Closed(b) => ("]", b),
                    End::None => (")", f64::INFINITY),
                };
                format!("{l}{a}, {b}{r}")
            }
        }
    }

    fn verdict(&self, x: f64) -> Result<(), String> {
        if self.contains(x) {
            return Ok(());
        }
        let why = if self.why.is_empty() { String::new() } else { format!(" ({})", self.why) };
        let range = self.text();
        let what = match range.as_str() {
            r if r.starts_with(['(', '[']) => format!("must be in {r}"),
            "finite" => "must be finite".to_string(),
            r => format!("must be a finite number {r}"),
        };
        Err(format!("{what}{why}, got {x}"))
    }
}

/// `(lo, hi)`.
pub fn open(lo: f64, hi: f64) -> Range {
    Range { lo: End::Open(lo), hi: End::Open(hi), why: "" }
}
/// `[lo, hi]`.
pub fn closed(lo: f64, hi: f64) -> Range {
    Range { lo: End::Closed(lo), hi: End::Closed(hi), why: "" }
}
/// `[lo, hi)`.
pub fn closed_open(lo: f64, hi: f64) -> Range {
    Range { lo: End::Closed(lo), hi: End::Open(hi), why: "" }
}
/// `(lo, hi]`.
pub fn open_closed(lo: f64, hi: f64) -> Range {
    Range { lo: End::Open(lo), hi: End::Closed(hi), why: "" }
}
/// A finite number `> 0`.
pub fn positive() -> Range {
    above(0.0)
}
/// A finite number `> lo`.
pub fn above(lo: f64) -> Range {
    Range { lo: End::Open(lo), hi: End::None, why: "" }
}
/// A finite number `>= lo`.
pub fn at_least(lo: f64) -> Range {
    Range { lo: End::Closed(lo), hi: End::None, why: "" }
}
/// A finite number `<= hi`.
pub fn at_most(hi: f64) -> Range {
    Range { lo: End::None, hi: End::Closed(hi), why: "" }
}
/// Any finite number.
pub fn finite() -> Range {
    Range { lo: End::None, hi: End::None, why: "" }
}

impl Check<f64> for Range {
    fn check(&self, v: &f64) -> Result<(), String> {
        self.verdict(*v)
    }
    fn describe(&self) -> String {
        self.text()
    }
}

macro_rules! whole {
    ($($t:ty),*) => {$(
        impl Check<$t> for Range {
            fn check(&self, v: &$t) -> Result<(), String> {
                self.verdict(*v as f64)
            }
            fn describe(&self) -> String {
                self.text()
            }
        }
    )*};
}
whole!(usize, u64, u32, i64);

/// An optional number: unset is always accepted, a set value must lie in the range.
impl Check<Option<f64>> for Range {
    fn check(&self, v: &Option<f64>) -> Result<(), String> {
        v.map_or(Ok(()), |x| self.verdict(x))
    }
    fn describe(&self) -> String {
        format!("null or {}", self.text())
    }
}

/// Every entry of a list must lie in the range.
impl Check<Vec<f64>> for Range {
    fn check(&self, v: &Vec<f64>) -> Result<(), String> {
        match v.iter().position(|x| !self.contains(*x)) {
            None => Ok(()),
            Some(i) => self.verdict(v[i]).map_err(|e| format!("entry {i} {e}")),
        }
    }
    fn describe(&self) -> String {
        format!("entries {}", self.text())
    }
}

/// A step rule: a finite number `> 0`, `"auto"`, and `"adaptive"` where the method has one.
#[derive(Clone, Copy, Debug)]
pub struct Steps {
    adaptive: bool,
}

/// A number `> 0`, `"auto"` or `"adaptive"`.
pub fn step_rule() -> Steps {
    Steps { adaptive: true }
}

/// A number `> 0` or `"auto"` (the method has no adaptive rule).
pub fn fixed_or_auto() -> Steps {
    Steps { adaptive: false }
}

impl Check<crate::StepRule> for Steps {
    fn check(&self, v: &crate::StepRule) -> Result<(), String> {
        match *v {
            crate::StepRule::Fixed(s) if !(s.is_finite() && s > 0.0) => Err(format!(
                "must be a finite number > 0, \"auto\"{}; got {s}",
                if self.adaptive { " or \"adaptive\"" } else { "" }
            )),
            crate::StepRule::Adaptive if !self.adaptive => {
                Err("\"adaptive\" is not available for this method; use a finite number > 0 or \"auto\"".into())
            }
            _ => Ok(()),
        }
    }
    fn describe(&self) -> String {
        if self.adaptive { "> 0, \"auto\" or \"adaptive\"" } else { "> 0 or \"auto\"" }.into()
    }
}

/// One of a fixed list of strings.
#[derive(Clone, Copy, Debug)]
pub struct OneOf(&'static [&'static str]);

/// One of `choices`.
pub fn one_of(choices: &'static [&'static str]) -> OneOf {
    OneOf(choices)
}

impl Check<String> for OneOf {
    fn check(&self, v: &String) -> Result<(), String> {
        if self.0.contains(&v.as_str()) {
            Ok(())
        } else {
            Err(format!("must be one of {}, got {v:?}", self.describe()))
        }
    }
    fn describe(&self) -> String {
        self.0.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ")
    }
}
