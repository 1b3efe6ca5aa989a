//! Name patterns for filters: exact names, or globs with `*` (any run of
//! characters) and `?` (exactly one character). Character classes and escapes
//! are rejected rather than silently matched literally.

use std::collections::HashSet;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    pattern: Vec<char>,
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, String> {
        if pattern.is_empty() {
            return Err("empty pattern".to_string());
        }
        if let Some(c) = pattern.chars().find(|c| matches!(c, '[' | ']' | '{' | '}' | '\\')) {
            return Err(format!(
                "invalid glob {pattern:?}: {c:?} is not supported (only '*' and '?')"
            ));
        }
        Ok(Glob {
            pattern: pattern.chars().collect(),
        })
    }

    pub fn is_literal(&self) -> bool {
        !self.pattern.iter().any(|c| *c == '*' || *c == '?')
    }

    /// Linear-time wildcard match with single-star backtracking.
    pub fn matches(&self, name: &str) -> bool {
        let p = &self.pattern;
        let s: Vec<char> = name.chars().collect();
        let (mut pi, mut si) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while si < s.len() {
            if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
                pi += 1;
                si += 1;
            } else if pi < p.len() && p[pi] == '*' {
                star = Some((pi, si));
                pi += 1;
            } else if let Some((sp, ss)) = star {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            } else {
                return false;
            }
        }
        while pi < p.len() && p[pi] == '*' {
            pi += 1;
        }
        pi == p.len()
    }
}

/// A set of patterns: literals in a hash set (the common case stays O(1)),
/// wildcards checked one by one.
#[derive(Clone, Debug, Default)]
pub struct NameMatcher {
    exact: HashSet<String>,
    globs: Vec<Glob>,
}

impl NameMatcher {
    /// On error returns the index of the bad pattern and why.
    pub fn new(patterns: &[String]) -> Result<NameMatcher, (usize, String)> {
        let mut m = NameMatcher::default();
        for (i, p) in patterns.iter().enumerate() {
            let g = Glob::new(p).map_err(|e| (i, e))?;
            if g.is_literal() {
                m.exact.insert(p.clone());
            } else {
                m.globs.push(g);
            }
        }
        Ok(m)
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.globs.is_empty()
    }

    pub fn matches(&self, name: &str) -> bool {
        self.exact.contains(name) || self.globs.iter().any(|g| g.matches(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Glob::new(p).unwrap().matches(s)
    }

    #[test]
    fn star_and_question_mark() {
        assert!(m("scrape_*", "scrape_duration_seconds"));
        assert!(m("scrape_*", "scrape_"));
        assert!(!m("scrape_*", "xscrape_a"));
        assert!(m("*_total", "http_requests_total"));
        assert!(!m("*_total", "http_requests_total_x"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("up?", "up1"));
        assert!(!m("up?", "up"));
        assert!(!m("up?", "up12"));
        assert!(m("*", ""));
        assert!(m("**", "anything"));
        assert!(m("é?", "éü"), "? matches one character, not one byte");
    }

    #[test]
    fn literal_is_exact() {
        assert!(m("up", "up"));
        assert!(!m("up", "upx"));
        assert!(!m("up", "u"));
        assert!(Glob::new("up").unwrap().is_literal());
        assert!(!Glob::new("u*").unwrap().is_literal());
    }

    #[test]
    fn invalid_patterns_are_rejected() {
        assert!(Glob::new("").is_err());
        assert!(Glob::new("scrape_[0-9]").is_err());
        assert!(Glob::new("a\\*").is_err());
        assert!(Glob::new("{a,b}").is_err());
    }

    #[test]
    fn matcher_reports_the_bad_index() {
        let err = NameMatcher::new(&["up".into(), "ok*".into(), "bad[".into()]).unwrap_err();
        assert_eq!(err.0, 2);
        let ok = NameMatcher::new(&["up".into(), "scrape_*".into()]).unwrap();
        assert!(ok.matches("up") && ok.matches("scrape_samples") && !ok.matches("upx"));
    }
}
