//! `scimbridge-sim`: runs a vendor simulator until killed.
//!
//! ```text
//! scimbridge-sim gong --listen 127.0.0.1:9100
//! scimbridge-sim zoominfo --listen 127.0.0.1:9200 --seats 10
//! scimbridge-sim chorus --listen 127.0.0.1:9300
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use simulators::gong::{GongConfig, GongSim};

#[derive(Parser)]
#[command(
    name = "scimbridge-sim",
    about = "Vendor simulators for scimbridge tests and demos"
)]
struct Cli {
    #[command(subcommand)]
    vendor: Vendor,
}

#[derive(Subcommand)]
enum Vendor {
    /// A simulated Gong tenant (SCIM custom source, REST v2, admin console actions).
    Gong {
        #[arg(long, default_value = "127.0.0.1:9100")]
        listen: SocketAddr,
        /// Company e-mail domains (repeatable); `*` accepts every domain.
        #[arg(long = "domain", default_value = "example.com")]
        domains: Vec<String>,
        #[arg(long, default_value_t = 50)]
        recording_seats: u32,
        #[arg(long, default_value_t = 20)]
        non_recording_seats: u32,
        /// Calls per second before 429.
        #[arg(long, default_value_t = 3)]
        per_second: u32,
        /// Calls per day before 429.
        #[arg(long, default_value_t = 10_000)]
        per_day: u32,
    },
    /// A simulated ZoomInfo contract (JWT admin API: users, seats, credits, teams, assets).
    Zoominfo(simulators::zoominfo::cli::ZoomInfoArgs),
    /// A simulated Chorus.ai tenant (the admin console's JSON surface).
    Chorus(simulators::chorus::cli::ChorusArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let (listen, domains, recording_seats, non_recording_seats, per_second, per_day) =
        match Cli::parse().vendor {
            Vendor::Chorus(args) => return simulators::chorus::cli::run(args).await,
            Vendor::Gong {
                listen,
                domains,
                recording_seats,
                non_recording_seats,
                per_second,
                per_day,
            } => (
                listen,
                domains,
                recording_seats,
                non_recording_seats,
                per_second,
                per_day,
            ),
            Vendor::Zoominfo(args) => return args.run().await,
        };
    let config = GongConfig::default()
        .listen(listen)
        .domains(domains)
        .seats(recording_seats, non_recording_seats)
        .rate_limit(per_second, per_day);
    let gong = match GongSim::start(config).await {
        Ok(gong) => gong,
        Err(e) => {
            eprintln!("scimbridge-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let c = gong.config();
    println!("Gong simulator listening on {}", gong.base_url());
    println!(
        "  SCIM custom source: {}  (Authorization: Bearer {})",
        gong.scim_url(),
        c.scim_token
    );
    println!(
        "  REST v2 and admin:  {}/v2, {}/admin  (Basic {}:{})",
        gong.base_url(),
        gong.base_url(),
        c.access_key,
        c.access_key_secret
    );
    println!("  company domains:    {}", c.company_domains.join(", "));
    println!(
        "  seats:              {} recording, {} non-recording",
        c.recording_seats, c.non_recording_seats
    );
    println!(
        "  rate limits:        {} calls/s, {} calls/day",
        c.rate_limit.per_second, c.rate_limit.per_day
    );
    for user in gong.users() {
        println!("  seeded user:        {} ({:?})", user.email, user.profiles);
    }
    println!(
        "  test harness:       {}/_sim/{{faults,down,users,calls}}",
        gong.base_url()
    );
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
