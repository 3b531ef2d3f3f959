//! The progress line of a running suite, on stderr when it is a terminal: a bar, cases done,
//! elapsed time, an ETA weighted by each case's expected cost, and the last case's status and
//! labels, in at most [`WIDTH`] columns.
//!
//! **ETA.** A case's expected cost is its budget `B` in oracle calls (`max_calls`, else
//! `max_iters`) times a cost per budgeted call `c` learnt as runs finish: for its problem
//! configuration `c = (sum of seconds) / (sum of B)` over the finished runs of that
//! configuration; while none of it has finished, the median of `c` over the configurations
//! measured so far (costs per call differ by orders of magnitude between problems, so a mean
//! would let one slow problem inflate every estimate); the time limit caps the product. `c` mixes the cost of one call with the fraction of the budget a run uses before
//! it converges, both of which the finished runs of the same problem measure. The ETA is the
//! expected time still to spend (pending cases whole, running ones minus the time they have
//! run) divided by the number of workers, and at least the longest single remainder.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::cases::Case;

/// Columns of the progress line.
pub const WIDTH: usize = 80;

/// Whether to draw a progress bar: stderr is a terminal and `CI` is not set to a true value.
pub fn progress_wanted() -> bool {
    let ci = std::env::var("CI").map(|v| !v.is_empty() && v != "0" && v != "false").unwrap_or(false);
    std::io::stderr().is_terminal() && !ci
}

/// What the ETA needs to know about a case before it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseCost {
    /// Cases with the same key share a cost per budgeted call (the problem configuration).
    pub key: String,
    /// The budget in oracle calls (at least 1; 0 for a case that will not run).
    pub budget: f64,
    /// The time limit in seconds, if any.
    pub time_limit: Option<f64>,
}

impl CaseCost {
    /// The cost model of `case`; a skipped case costs nothing.
    pub fn of(case: &Case, skipped: bool) -> Self {
        let c = &case.spec.config;
        let budget = if skipped { 0.0 } else { (c.max_calls.unwrap_or(c.max_iters).max(1)) as f64 };
        Self { key: case.problem_label.clone(), budget, time_limit: c.time_limit }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Pending,
    /// Started at this many seconds after the suite began.
    Running(f64),
    Done,
}

/// The cost-weighted estimate of the time left (see the module docs). Times are seconds since
/// the suite began.
#[derive(Clone, Debug)]
pub struct Eta {
    cases: Vec<CaseCost>,
    state: Vec<State>,
    /// Per key: (seconds, budgeted calls) of the finished runs.
    spent: HashMap<String, (f64, f64)>,
    workers: f64,
}

impl Eta {
    /// No case has run yet; `workers` run at once.
    pub fn new(cases: Vec<CaseCost>, workers: usize) -> Self {
        let state = vec![State::Pending; cases.len()];
        Self { cases, state, spent: HashMap::new(), workers: workers.max(1) as f64 }
    }

    /// Case `i` started at time `t`.
    pub fn started(&mut self, i: usize, t: f64) {
        self.state[i] = State::Running(t);
    }

    /// Case `i` finished after `seconds` of its own.
    pub fn finished(&mut self, i: usize, seconds: f64) {
        self.state[i] = State::Done;
        let c = &self.cases[i];
        let e = self.spent.entry(c.key.clone()).or_insert((0.0, 0.0));
        e.0 += seconds;
        e.1 += c.budget;
    }

    /// Seconds per budgeted call of `key`: its own, or the median over the measured keys.
    fn rate(&self, key: &str) -> Option<f64> {
        if let Some((s, b)) = self.spent.get(key).filter(|(_, b)| *b > 0.0) {
            return Some(s / b);
        }
        let mut rates: Vec<f64> = self.spent.values().filter(|(_, b)| *b > 0.0).map(|(s, b)| s / b).collect();
        rates.sort_by(f64::total_cmp);
        let k = rates.len();
        (k > 0).then(|| if k % 2 == 1 { rates[k / 2] } else { 0.5 * (rates[k / 2 - 1] + rates[k / 2]) })
    }

    /// The expected seconds of case `i` (`None` before any run finished).
    pub fn expected(&self, i: usize) -> Option<f64> {
        let c = &self.cases[i];
        if c.budget == 0.0 {
            return Some(0.0);
        }
        let t = c.budget * self.rate(&c.key)?;
        Some(c.time_limit.map_or(t, |cap| t.min(cap)))
    }

    /// Seconds left at time `t` (`None` before any run finished, `Some(0)` when all are done).
    pub fn remaining(&self, t: f64) -> Option<f64> {
        let (mut total, mut longest) = (0.0_f64, 0.0_f64);
        for (i, s) in self.state.iter().enumerate() {
            let left = match *s {
                State::Done => continue,
                State::Pending => self.expected(i)?,
                State::Running(t0) => (self.expected(i)? - (t - t0)).max(0.0),
            };
            total += left;
            longest = longest.max(left);
        }
        Some((total / self.workers).max(longest))
    }
}

/// `m:ss`, or `h:mm:ss` from an hour on.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The progress line: `[====>    ] done/total elapsed ETA eta last`, cut to `width` characters
/// (the end of `last` gives way first).
pub fn line(done: u64, total: u64, elapsed: f64, eta: Option<f64>, last: &str, width: usize) -> String {
    const BAR: usize = 16;
    let filled = (BAR as u64 * done.min(total)).checked_div(total).map_or(BAR, |f| f as usize);
    let mut bar = "=".repeat(filled);
    if filled < BAR {
        bar.push('>');
        bar.push_str(&" ".repeat(BAR - filled - 1));
    }
    let eta = eta.map_or_else(|| "?".to_string(), clock);
    let text = format!("[{bar}] {done}/{total} {} ETA {eta} {last}", clock(elapsed));
    if text.chars().count() <= width {
        return text.trim_end().to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('~');
    cut
}

struct Shared {
    eta: Eta,
    last: String,
    t0: Instant,
}

/// The progress line of one suite run (hidden when not wanted).
pub struct Progress {
    bar: ProgressBar,
    shared: Arc<Mutex<Shared>>,
}

impl Progress {
    /// A line over `cases` run by `workers` at once, drawn only when `show`.
    pub fn new(cases: Vec<CaseCost>, workers: usize, show: bool) -> Self {
        let len = cases.len() as u64;
        let shared =
            Arc::new(Mutex::new(Shared { eta: Eta::new(cases, workers), last: String::new(), t0: Instant::now() }));
        let bar = if show {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            let s = Arc::clone(&shared);
            let render = move |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let s = s.lock().unwrap_or_else(PoisonError::into_inner);
                let t = s.t0.elapsed().as_secs_f64();
                let text = line(state.pos(), state.len().unwrap_or(0), t, s.eta.remaining(t), &s.last, WIDTH);
                let _ = w.write_str(&text);
            };
            if let Ok(style) = ProgressStyle::with_template("{line}") {
                bar.set_style(style.with_key("line", render));
            }
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        } else {
            ProgressBar::hidden()
        };
        Self { bar, shared }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The `i`-th case of the list started.
    pub fn started(&self, i: usize) {
        let mut s = self.lock();
        let t = s.t0.elapsed().as_secs_f64();
        s.eta.started(i, t);
    }

    /// The `i`-th case finished after `seconds`, with `status`; `what` names it.
    pub fn finished(&self, i: usize, seconds: f64, status: &str, what: &str) {
        {
            let mut s = self.lock();
            s.eta.finished(i, seconds);
            s.last = format!("{status}: {what}");
        }
        self.bar.inc(1);
    }

    /// Removes the line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(key: &str, budget: f64, time_limit: Option<f64>) -> CaseCost {
        CaseCost { key: key.into(), budget, time_limit }
    }

    #[test]
    fn the_eta_weighs_each_case_by_its_budget_and_its_problems_measured_cost() {
        // Problem a: budget 100 calls; b: 1000 calls and a 5 s limit; two workers.
        let mut eta = Eta::new(
            vec![
                cost("a", 100.0, None),
                cost("a", 100.0, None),
                cost("a", 100.0, None),
                cost("b", 1000.0, Some(5.0)),
                cost("c", 50.0, None),
                cost("d", 0.0, None),
            ],
            2,
        );
        assert_eq!(eta.remaining(0.0), None, "nothing measured yet");
        assert_eq!(eta.expected(5), Some(0.0), "a skipped case costs nothing");
        eta.started(0, 0.0);
        eta.started(1, 0.0);
        eta.finished(0, 1.0);
        eta.finished(1, 3.0);
        // a: 4 s over 200 budgeted calls = 0.02 s per call. Left: a 2 s, b 1000 calls at the
        // median cost of the problems measured (a's 0.02) = 20 s capped at 5 s, c 1 s: 8 s over
        // 2 workers is 4 s, but b alone takes 5 s.
        assert_eq!(eta.expected(2), Some(2.0));
        assert_eq!(eta.expected(3), Some(5.0));
        assert_eq!(eta.remaining(3.0), Some(5.0));
        // b has run for 1 s: 4 s of it are left; then 7 s over 2 workers is 3.5 s, and the
        // longest remainder (b's 4 s) bounds it from below.
        eta.started(3, 2.0);
        assert_eq!(eta.remaining(3.0), Some(4.0));
        // b took 6 s (its own cost now: 0.006 s per call); c takes the median of a's and b's.
        eta.finished(3, 6.0);
        assert_eq!(eta.expected(4), Some(50.0 * 0.5 * (0.006 + 0.02)));
        eta.finished(2, 2.0);
        eta.finished(4, 0.5);
        eta.finished(5, 0.0);
        assert_eq!(eta.remaining(10.0), Some(0.0));
    }

    #[test]
    fn the_line_fits_80_columns_and_cuts_the_labels_first() {
        assert_eq!(clock(61.4), "1:01");
        assert_eq!(clock(3725.0), "1:02:05");
        let l = line(312, 765, 12.0, Some(21.0), "Converged: bilinear(m=10, n=10) x eag", WIDTH);
        assert_eq!(l, "[======>         ] 312/765 0:12 ETA 0:21 Converged: bilinear(m=10, n=10) x eag");
        let long = "OracleBudget: gan-mixture(batch=64, d_hidden=[32], g_hidden=[32,32], metric_samples=1000) x eag";
        let l = line(99_999, 100_000, 7300.0, None, long, WIDTH);
        assert_eq!(l.chars().count(), WIDTH);
        assert!(l.starts_with("[===============>] 99999/100000 2:01:40 ETA ? OracleBudget: gan-mixture("), "{l}");
        assert!(l.ends_with('~'));
        assert_eq!(line(0, 0, 0.0, None, "", WIDTH), "[================] 0/0 0:00 ETA ?");
    }
}
