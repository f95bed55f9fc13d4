//! `scimbridge report`: reads the store and the app's vendor from this process; a repair
//! only queues work, which the server's workers apply.

use std::io::Write;
use std::sync::Arc;

use scimbridge::config::Config;
use scimbridge::connectors::Registry;
use scimbridge::reports::{self, DEFAULT_DAYS, Format, Output, REPAIR_NOTE, Report, parse_days};

use super::open_store;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// seats, unused, orphans or drift.
    report: Report,
    /// The app to report on.
    #[arg(long)]
    app: String,
    /// json or csv.
    #[arg(long, default_value = "json")]
    format: Format,
    /// unused: seats with no vendor activity for this many days.
    #[arg(long, value_parser = parse_days)]
    days: Option<u32>,
    /// drift: queue every drifted user for a reconcile back to the desired state.
    #[arg(long)]
    repair: bool,
}

pub async fn run(args: ReportArgs, config: &Config) -> Result<(), String> {
    let ReportArgs {
        report,
        app,
        format,
        days,
        repair,
    } = args;
    let app = app.as_str();
    if days.is_some() && report != Report::Unused {
        return Err("--days is for the unused report only".into());
    }
    if repair && report != Report::Drift {
        return Err("--repair is for the drift report only".into());
    }
    let store = open_store(config).await?;
    let engine = engine::Engine::new(store, Arc::new(Registry), engine::EngineConfig::default());
    // Drawn on stderr, and only when it is a terminal: piped output stays clean.
    let bar = indicatif::ProgressBar::new_spinner()
        .with_message(format!("reading the vendor accounts of app '{app}'"));
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}: {pos} read") {
        bar.set_style(style);
    }
    let progress = {
        let bar = bar.clone();
        move |n: u64| bar.set_position(n)
    };
    let output = if repair {
        engine
            .repair_drift(app, &progress)
            .await
            .map(Output::Repair)
    } else {
        reports::make(
            &engine,
            app,
            report,
            days.unwrap_or(DEFAULT_DAYS),
            &progress,
        )
        .await
    };
    bar.finish_and_clear();
    let output = output.map_err(|e| e.to_string())?;
    let body = output.render(app, format)?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", body.trim_end()).map_err(|e| format!("cannot write the report: {e}"))?;
    if let Output::Repair(repair) = &output {
        eprintln!("{} user(s) {REPAIR_NOTE}", repair.queued.len());
    }
    Ok(())
}
