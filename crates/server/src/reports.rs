//! The reports as the admin API and the `report` command show them: which report, in
//! JSON or CSV. The reports themselves are the engine's.

use std::str::FromStr;

use engine::{DriftRow, Engine, OrphanRow, Progress, Repair, ReportError, SeatRow, UnusedReport};
use serde::Serialize;
use serde_json::json;

/// The unused-seat report's default: no activity for this many days.
pub const DEFAULT_DAYS: u32 = 30;

/// The most days the unused-seat report looks back.
const MAX_DAYS: u32 = 36_500;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Seats,
    Unused,
    Orphans,
    Drift,
}

impl FromStr for Report {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "seats" => Ok(Report::Seats),
            "unused" => Ok(Report::Unused),
            "orphans" => Ok(Report::Orphans),
            "drift" => Ok(Report::Drift),
            other => Err(format!(
                "there is no report '{other}'; the reports are seats, unused, orphans and drift"
            )),
        }
    }
}

/// How a report is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Json,
    Csv,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!("unknown format '{other}'; use json or csv")),
        }
    }
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Parses the unused-seat report's number of days.
pub fn parse_days(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "days must be a whole number of days from 1 to {MAX_DAYS}, not '{s}'"
        )),
    }
}

/// A report's result, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Seats(Vec<SeatRow>),
    Unused(UnusedReport),
    Orphans(Vec<OrphanRow>),
    Drift(Vec<DriftRow>),
    Repair(Repair),
}

/// Makes `report` of `app`; `days` is for the unused-seat report.
pub async fn make(
    engine: &Engine,
    app: &str,
    report: Report,
    days: u32,
    progress: &Progress,
) -> Result<Output, ReportError> {
    Ok(match report {
        Report::Seats => Output::Seats(engine.seat_report(app).await?),
        Report::Unused => Output::Unused(engine.unused_report(app, days, progress).await?),
        Report::Orphans => Output::Orphans(engine.orphan_report(app, progress).await?),
        Report::Drift => Output::Drift(engine.drift_report(app, progress).await?),
    })
}

/// What the workers do with a repair, for whoever asked for it.
pub const REPAIR_NOTE: &str = "queued for reconcile: the server's workers set each account back to the desired state (see each resource's audit trail)";

const SEAT_COLUMNS: &[&str] = &[
    "seat",
    "paid",
    "used",
    "free",
    "pricePerYear",
    "costPerYear",
    "freeCostPerYear",
    "currency",
];
const UNUSED_COLUMNS: &[&str] = &[
    "accountId",
    "email",
    "status",
    "role",
    "seat",
    "lastActivity",
    "daysInactive",
    "resourceId",
    "costPerYear",
    "currency",
];
const ORPHAN_COLUMNS: &[&str] = &[
    "accountId",
    "email",
    "firstName",
    "lastName",
    "status",
    "role",
    "seat",
    "team",
    "lastActivity",
    "costPerYear",
    "currency",
];
const DRIFT_COLUMNS: &[&str] = &[
    "resourceId",
    "userName",
    "accountId",
    "email",
    "field",
    "desired",
    "actual",
];

impl Output {
    /// The report as a body: JSON (with the app named, and for unused seats the days and
    /// totals), or CSV with a header row (one row per seat type, account or drifted field).
    pub fn render(&self, app: &str, format: Format) -> Result<String, String> {
        match format {
            Format::Json => {
                let value = match self {
                    Output::Seats(rows) => json!({"app": app, "seats": rows}),
                    Output::Unused(report) => json!({
                        "app": app,
                        "days": report.days,
                        "accounts": report.accounts,
                        "totals": report.totals,
                    }),
                    Output::Orphans(rows) => json!({"app": app, "orphans": rows}),
                    Output::Drift(rows) => json!({"app": app, "drift": rows}),
                    Output::Repair(repair) => json!({
                        "app": app,
                        "queued": repair.queued,
                        "drift": repair.drift,
                        "note": REPAIR_NOTE,
                    }),
                };
                serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
            }
            Format::Csv => match self {
                Output::Seats(rows) => csv_of(SEAT_COLUMNS, rows),
                Output::Unused(report) => csv_of(UNUSED_COLUMNS, &report.accounts),
                Output::Orphans(rows) => csv_of(ORPHAN_COLUMNS, rows),
                Output::Drift(rows) => csv_of(DRIFT_COLUMNS, rows),
                Output::Repair(repair) => csv_of(DRIFT_COLUMNS, &repair.drift),
            },
        }
    }
}

/// CSV with a header row even when there are no rows (the csv crate writes headers only
/// with a first record).
fn csv_of<T: Serialize>(columns: &[&str], rows: &[T]) -> Result<String, String> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let failed = |e: csv::Error| format!("cannot write the report as CSV: {e}");
    writer.write_record(columns).map_err(failed)?;
    for row in rows {
        writer.serialize(row).map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| format!("cannot write the report as CSV: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("the CSV report is not UTF-8: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector::AccountStatus;

    /// The CSV header is the row's own field order, so that no column is mislabelled.
    fn assert_columns<T: Serialize>(columns: &[&str], row: &T) {
        let value = serde_json::to_value(row).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut sorted_columns = columns.to_vec();
        sorted_columns.sort_unstable();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        assert_eq!(sorted_columns, sorted_keys);
        let mut writer = csv::WriterBuilder::new()
            .has_headers(true)
            .from_writer(Vec::new());
        writer.serialize(row).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), columns.join(","));
    }

    #[test]
    fn csv_columns_match_the_rows() {
        assert_columns(
            SEAT_COLUMNS,
            &SeatRow {
                seat: "recording".into(),
                paid: Some(3),
                used: 1,
                free: Some(2),
                price_per_year: Some(1200.0),
                cost_per_year: Some(3600.0),
                free_cost_per_year: Some(2400.0),
                currency: Some("USD".into()),
            },
        );
        assert_columns(
            UNUSED_COLUMNS,
            &engine::UnusedRow {
                account_id: "1".into(),
                email: "a@example.com".into(),
                status: AccountStatus::Active,
                role: None,
                seat: None,
                last_activity: None,
                days_inactive: None,
                resource_id: None,
                cost_per_year: None,
                currency: None,
            },
        );
        assert_columns(
            ORPHAN_COLUMNS,
            &OrphanRow {
                account_id: "1".into(),
                email: "a@example.com".into(),
                first_name: None,
                last_name: None,
                status: AccountStatus::Invited,
                role: None,
                seat: None,
                team: None,
                last_activity: None,
                cost_per_year: None,
                currency: None,
            },
        );
        assert_columns(
            DRIFT_COLUMNS,
            &DriftRow {
                resource_id: "r".into(),
                user_name: "a".into(),
                account_id: "1".into(),
                email: "a@example.com".into(),
                field: "role".into(),
                desired: "Rep".into(),
                actual: "Manager, \"acting\"".into(),
            },
        );
    }

    #[test]
    fn csv_has_a_header_without_rows_and_quotes_values() {
        let empty: Vec<DriftRow> = Vec::new();
        assert_eq!(
            csv_of(DRIFT_COLUMNS, &empty).unwrap(),
            format!("{}\n", DRIFT_COLUMNS.join(","))
        );
        let rows = vec![DriftRow {
            resource_id: "r".into(),
            user_name: "a".into(),
            account_id: "1".into(),
            email: "a@example.com".into(),
            field: "team".into(),
            desired: "Sales, East".into(),
            actual: "say \"hi\"".into(),
        }];
        let text = csv_of(DRIFT_COLUMNS, &rows).unwrap();
        assert!(
            text.ends_with("team,\"Sales, East\",\"say \"\"hi\"\"\"\n"),
            "{text}"
        );
    }

    #[test]
    fn days_are_bounded() {
        assert_eq!(parse_days("30"), Ok(30));
        assert!(parse_days("0").is_err());
        assert!(parse_days("-1").unwrap_err().contains("1 to 36500"));
        assert!(parse_days("ten").is_err());
    }
}
