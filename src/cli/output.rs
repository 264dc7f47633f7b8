//! How the administration commands answer: aligned text for people, JSON for
//! scripts, `error: <message>` on stderr, and the exit code.

use super::DbArgs;
use crate::app::App;
use crate::domain::{DomainError, UnixTime};
use serde::Serialize;
use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

/// Why a command failed; each kind has its exit code.
#[derive(Debug)]
pub enum Failure {
    /// A rule was broken, a record is missing or the store failed: exit 1.
    Domain(DomainError),
    /// Anything else that went wrong while running: exit 1.
    Other(String),
    /// The command line was incomplete in a way clap cannot see: exit 2.
    Usage(String),
}

impl From<DomainError> for Failure {
    fn from(e: DomainError) -> Self {
        Failure::Domain(e)
    }
}

impl Failure {
    /// Prints the failure on stderr and returns its exit code.
    pub fn report(self) -> ExitCode {
        let (message, code) = match self {
            Failure::Domain(e) => (e.to_string(), 1),
            Failure::Other(m) => (m, 1),
            Failure::Usage(m) => (m, 2),
        };
        let _ = writeln!(std::io::stderr().lock(), "error: {message}");
        ExitCode::from(code)
    }
}

/// Opens the database, runs `body` against it, closes the store so queued
/// writes are flushed, then prints the answer or the failure.
pub async fn run_with_app<F, Fut>(db: &DbArgs, body: F) -> ExitCode
where
    F: FnOnce(Arc<App>) -> Fut,
    Fut: Future<Output = Result<String, Failure>>,
{
    let app = match super::open(db).await {
        Ok(app) => app,
        Err(e) => return Failure::Other(e).report(),
    };
    let result = body(app.clone()).await;
    app.store.close().await;
    match result {
        Ok(text) => {
            print(&text);
            ExitCode::SUCCESS
        }
        Err(f) => f.report(),
    }
}

/// Writes `text` to stdout with a final newline; a closed pipe is not an error.
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = if text.ends_with('\n') || text.is_empty() {
        out.write_all(text.as_bytes())
    } else {
        writeln!(out, "{text}")
    };
    let _ = out.flush();
}

/// Pretty JSON of one record, or a JSON array for a list.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Other(format!("cannot encode JSON: {e}")))
}

/// `key: value` lines with the values aligned.
pub fn record(fields: &[(&str, String)]) -> String {
    let width = fields.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in fields {
        out.push_str(&format!("{:<width$} {value}\n", format!("{key}:")));
    }
    out
}

/// A table with a header row and columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, cell) in cells.enumerate() {
            let width = widths.get(i).copied().unwrap_or(0);
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(&format!("{cell:<width$}"));
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(&mut headers.iter().copied());
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// A list, or a note saying it is empty.
pub fn table_or_empty(headers: &[&str], rows: &[Vec<String>], what: &str) -> String {
    if rows.is_empty() {
        format!("no {what}")
    } else {
        table(headers, rows)
    }
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn time(t: UnixTime) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// An optional time, or `never`.
pub fn time_or_never(t: Option<UnixTime>) -> String {
    t.map_or_else(|| "never".to_owned(), time)
}

/// A list joined with spaces, or `-` when empty.
pub fn words<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A string, or `-` when empty.
pub fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_calendar_dates() {
        assert_eq!(time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(time(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }

    #[test]
    fn tables_align_columns() {
        let t = table(
            &["ID", "NAME"],
            &[
                vec!["1".into(), "alpha".into()],
                vec!["22".into(), "b".into()],
            ],
        );
        assert_eq!(t, "ID  NAME\n1   alpha\n22  b\n");
    }

    #[test]
    fn records_align_values() {
        let r = record(&[("a", "1".into()), ("long", "2".into())]);
        assert_eq!(r, "a:    1\nlong: 2\n");
    }
}
