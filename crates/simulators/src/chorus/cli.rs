//! `scimbridge-sim chorus`: the standalone simulator's arguments and banner.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use super::{BASE_SEATS, ChorusConfig, ChorusSim};

#[derive(Debug, Clone, clap::Args)]
pub struct ChorusArgs {
    #[arg(long, default_value = "127.0.0.1:9300")]
    pub listen: SocketAddr,
    /// Seats bought on top of the base package's 3.
    #[arg(long, default_value_t = 7)]
    pub extra_seats: u32,
    /// Seconds a console session lasts after sign-in.
    #[arg(long, default_value_t = 1800)]
    pub session_ttl_secs: u64,
    /// Calls per second before 429.
    #[arg(long, default_value_t = 5)]
    pub per_second: u32,
    /// Calls per day before 429.
    #[arg(long, default_value_t = 10_000)]
    pub per_day: u32,
}

/// Runs the demo tenant with `args` until the process is killed.
pub async fn run(args: ChorusArgs) -> ExitCode {
    let config = ChorusConfig::default()
        .listen(args.listen)
        .extra_seats(args.extra_seats)
        .session_ttl(Duration::from_secs(args.session_ttl_secs))
        .rate_limit(args.per_second, args.per_day);
    let chorus = match ChorusSim::start(config).await {
        Ok(chorus) => chorus,
        Err(e) => {
            eprintln!("scimbridge-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let c = chorus.config();
    println!("Chorus simulator listening on {}", chorus.base_url());
    println!(
        "  console sign-in:    POST {}/login  (admin@example.com / demo-password)",
        chorus.base_url()
    );
    println!(
        "  console API:        {}/api/settings  (cookie chorus_session + X-CSRF-Token)",
        chorus.base_url()
    );
    println!(
        "  seats:              {} ({BASE_SEATS} base + {} extra)",
        c.seats(),
        c.extra_seats
    );
    println!("  sessions:           {} s", c.session_ttl.as_secs());
    println!(
        "  rate limits:        {} calls/s, {} calls/day",
        c.rate_limit.per_second, c.rate_limit.per_day
    );
    for team in chorus.teams() {
        println!(
            "  seeded team:        {} (parent {:?})",
            team.name, team.parent
        );
    }
    for user in chorus.users() {
        println!("  seeded user:        {} ({})", user.email, user.role);
    }
    println!(
        "  test harness:       {}/_sim/{{faults,down,users,sessions,calls}}",
        chorus.base_url()
    );
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
