//! Where a headless run's time goes: named instants since `main` began, printed by
//! `robo-tui check` (always) and `robo-tui snapshot --timeline`.

use std::time::Duration;

/// Named instants, as durations since `main` began (see [`super::process_start`]).
#[derive(Debug, Default, Clone)]
pub struct Timeline {
    marks: Vec<(&'static str, Duration)>,
}

impl Timeline {
    /// Note that `name` happened now.
    pub fn mark(&mut self, name: &'static str) {
        self.marks.push((name, super::process_start().elapsed()));
    }

    /// One line: each mark in milliseconds since `main` and the step to it, e.g.
    /// `runtime 0.3 (+0.3) · started 1.1 (+0.8) · ...`.
    pub fn line(&self) -> String {
        let mut previous = Duration::ZERO;
        let parts: Vec<String> = self
            .marks
            .iter()
            .map(|(name, at)| {
                let step = at.saturating_sub(previous);
                previous = *at;
                format!("{name} {:.1} (+{:.1})", ms(*at), ms(step))
            })
            .collect();
        parts.join(" · ")
    }

    /// The marks as a JSON object of milliseconds since `main`.
    pub fn json(&self) -> serde_json::Value {
        self.marks.iter().map(|(name, at)| (name.to_string(), serde_json::json!(ms(*at)))).collect()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_names_each_step_since_main() {
        let mut timeline = Timeline::default();
        timeline.mark("runtime");
        timeline.mark("started");
        let line = timeline.line();
        assert!(line.starts_with("runtime ") && line.contains(" · started "), "{line}");
        assert_eq!(line.matches("(+").count(), 2, "{line}");
    }

    #[test]
    fn the_json_form_holds_every_mark_in_order_of_time() {
        let mut timeline = Timeline::default();
        timeline.mark("a");
        timeline.mark("b");
        let json = timeline.json();
        let (a, b) = (json["a"].as_f64().expect("a"), json["b"].as_f64().expect("b"));
        assert!(a >= 0.0 && b >= a, "{json}");
    }
}
