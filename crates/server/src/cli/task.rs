//! `scimbridge task`: the human tasks, read and changed in the database from this process.
//! The actor in a task's audit trail is `cli`.

use std::sync::Arc;

use scimbridge::config::Config;
use scimbridge::connectors::Registry;
use scimbridge::handlers::tasks::{NO_REASON, detail_json, task_json};
use serde_json::json;
use store::{MAX_TASK_PAGE, Task, TaskFilter, TaskState, Verification};

use super::open_store;

/// Who changed a task, in its audit trail, when the command line did.
const ACTOR: &str = "cli";

#[derive(clap::Subcommand)]
pub enum TaskCommand {
    /// List tasks, newest first.
    List {
        /// Only this app's tasks.
        #[arg(long)]
        app: Option<String>,
        /// open, done, verified or cancelled.
        #[arg(long)]
        state: Option<TaskState>,
        #[arg(long, value_enum, default_value_t = TaskFormat::Table)]
        format: TaskFormat,
    },
    /// A task's instructions, the resources waiting on it and its audit trail.
    Show {
        id: String,
        /// Write it as JSON, as `GET /admin/tasks/{id}` does.
        #[arg(long)]
        json: bool,
    },
    /// Say a task is done (a confirmation-only task is then verified).
    Done { id: String },
    /// Cancel a pending task.
    Cancel {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

/// How `task list` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TaskFormat {
    Table,
    Json,
    Csv,
}

pub async fn run(cmd: TaskCommand, config: &Config) -> Result<(), String> {
    let store = open_store(config).await?;
    let engine = engine::Engine::new(store, Arc::new(Registry), engine::EngineConfig::default());
    match cmd {
        TaskCommand::List { app, state, format } => {
            let tasks = all_tasks(&engine, app, state).await?;
            print!("{}", render_list(&tasks, format)?);
        }
        TaskCommand::Show { id, json } => {
            let detail = engine.task(&id).await.map_err(|e| e.to_string())?;
            if json {
                println!("{}", pretty(&detail_json(&detail))?);
            } else {
                print!("{}", render_show(&detail));
            }
        }
        TaskCommand::Done { id } => {
            let task = engine
                .mark_task_done(&id, ACTOR)
                .await
                .map_err(|e| e.to_string())?;
            match task.verification {
                Verification::Confirmation => println!("task {id} is {}", task.state),
                Verification::Read => println!(
                    "task {id} is {}; it is verified when a read of the vendor confirms the change",
                    task.state
                ),
            }
        }
        TaskCommand::Cancel { id, reason } => {
            let reason = reason.unwrap_or_else(|| NO_REASON.to_owned());
            let task = engine
                .cancel_task(&id, ACTOR, &reason)
                .await
                .map_err(|e| e.to_string())?;
            println!("task {id} is {}", task.state);
        }
    }
    Ok(())
}

/// Every task matching the filter, a store page at a time.
async fn all_tasks(
    engine: &engine::Engine,
    app: Option<String>,
    state: Option<TaskState>,
) -> Result<Vec<Task>, String> {
    let mut filter = TaskFilter {
        app,
        state,
        before: None,
        limit: MAX_TASK_PAGE,
    };
    let mut tasks = Vec::new();
    loop {
        let page = engine.tasks(&filter).await.map_err(|e| e.to_string())?;
        let full = page.len() == MAX_TASK_PAGE as usize;
        filter.before = page.last().map(|t| t.id.clone());
        tasks.extend(page);
        if !full {
            return Ok(tasks);
        }
    }
}

fn pretty(value: &serde_json::Value) -> Result<String, String> {
    serde_json::to_string_pretty(value).map_err(|e| format!("cannot write JSON: {e}"))
}

const LIST_COLUMNS: [&str; 6] = ["id", "app", "state", "created", "resources", "title"];

fn list_row(task: &Task) -> [String; 6] {
    [
        task.id.clone(),
        task.app.clone(),
        task.state.to_string(),
        task.created_at.format("%Y-%m-%d %H:%M").to_string(),
        task.resources.len().to_string(),
        task.title.clone(),
    ]
}

fn render_list(tasks: &[Task], format: TaskFormat) -> Result<String, String> {
    match format {
        TaskFormat::Json => {
            let tasks: Vec<_> = tasks.iter().map(task_json).collect();
            Ok(pretty(&json!({ "tasks": tasks }))? + "\n")
        }
        TaskFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let failed = |e: csv::Error| format!("cannot write the tasks as CSV: {e}");
            writer.write_record(LIST_COLUMNS).map_err(failed)?;
            for task in tasks {
                writer.write_record(list_row(task)).map_err(failed)?;
            }
            let bytes = writer
                .into_inner()
                .map_err(|e| format!("cannot write the tasks as CSV: {e}"))?;
            String::from_utf8(bytes).map_err(|e| format!("the CSV is not UTF-8: {e}"))
        }
        TaskFormat::Table if tasks.is_empty() => Ok("no tasks\n".to_owned()),
        TaskFormat::Table => {
            let header = LIST_COLUMNS.map(str::to_uppercase);
            let rows: Vec<[String; 6]> = tasks.iter().map(list_row).collect();
            Ok(table(&header, &rows))
        }
    }
}

/// Columns padded to their widest cell; the last one is left ragged.
fn table(header: &[String; 6], rows: &[[String; 6]]) -> String {
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, width))| match i {
                5 => cell.clone(),
                _ => format!("{cell:width$}"),
            })
            .collect();
        out.push_str(&cells.join("  "));
        out.push('\n');
    }
    out
}

fn render_show(detail: &engine::tasks::TaskDetail) -> String {
    let task = &detail.task;
    let mut out = format!(
        "{}\ntask {}  app {}  state {}  verified by {}\n",
        task.title,
        task.id,
        task.app,
        task.state,
        task.verification.as_str()
    );
    if let Some(by) = &task.done_by {
        out.push_str(&format!("done by {by}\n"));
    }
    if let Some(by) = &task.closed_by {
        out.push_str(&format!("closed by {by}\n"));
    }
    out.push_str("\ninstructions:\n");
    for (n, step) in task.instructions.iter().enumerate() {
        out.push_str(&format!("  {}. {step}\n", n + 1));
    }
    out.push_str(&format!("\nchange: {}\n", task.change));
    out.push_str("\nwaiting on it:\n");
    for r in &task.resources {
        out.push_str(&format!("  {} {}\n", r.kind.as_str(), r.id));
    }
    out.push_str("\nhistory:\n");
    for e in &detail.events {
        out.push_str(&format!(
            "  {}  {}  by {}  {}\n",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.event,
            e.actor,
            e.detail
        ));
    }
    if task.state.is_pending() {
        out.push_str(&format!(
            "\nwhen it is done: scimbridge task done {}\n",
            task.id
        ));
    }
    out
}
