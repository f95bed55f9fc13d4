//! `scimbridge-sim zoominfo`: the arguments and the run loop of the standalone simulator.

use std::net::SocketAddr;
use std::process::ExitCode;

use super::{Package, ZoomInfoConfig, ZoomInfoSim};

/// A simulated ZoomInfo contract (JWT-authenticated admin API).
#[derive(Debug, clap::Args)]
pub struct ZoomInfoArgs {
    #[arg(long, default_value = "127.0.0.1:9200")]
    pub listen: SocketAddr,
    #[arg(long, default_value_t = 10)]
    pub seats: u32,
    /// Professional, Advanced or Elite.
    #[arg(long, default_value = "advanced", value_parser = parse_package)]
    pub package: Package,
    #[arg(long, default_value_t = 10_000)]
    pub credit_pool: u64,
    /// Minutes a JWT from /authenticate is accepted.
    #[arg(long, default_value_t = 60)]
    pub jwt_minutes: u64,
    /// Calls per second before 429.
    #[arg(long, default_value_t = 25)]
    pub per_second: u32,
    /// Calls per day before 429.
    #[arg(long, default_value_t = 100_000)]
    pub per_day: u32,
}

fn parse_package(name: &str) -> Result<Package, String> {
    match name.to_ascii_lowercase().as_str() {
        "professional" => Ok(Package::Professional),
        "advanced" => Ok(Package::Advanced),
        "elite" => Ok(Package::Elite),
        _ => Err(format!(
            "{name:?} is not a package: use professional, advanced or elite"
        )),
    }
}

impl ZoomInfoArgs {
    /// Serves the contract until the process is killed.
    pub async fn run(self) -> ExitCode {
        let config = ZoomInfoConfig::default()
            .listen(self.listen)
            .seats(self.seats)
            .package(self.package)
            .credit_pool(self.credit_pool)
            .jwt_lifetime(std::time::Duration::from_secs(self.jwt_minutes * 60))
            .rate_limit(self.per_second, self.per_day);
        let zi = match ZoomInfoSim::start(config).await {
            Ok(zi) => zi,
            Err(e) => {
                eprintln!("scimbridge-sim: {e}");
                return ExitCode::FAILURE;
            }
        };
        let c = zi.config();
        println!("ZoomInfo simulator listening on {}", zi.base_url());
        println!(
            "  login:              POST {}/authenticate {{\"username\": {:?}, \"password\": {:?}}}",
            zi.base_url(),
            c.username,
            c.password
        );
        println!(
            "  admin API:          {}/admin  (Authorization: Bearer <jwt>, valid {} min)",
            zi.base_url(),
            self.jwt_minutes
        );
        println!("  seats:              {} ({:?})", c.seats, c.package);
        println!("  credit pool:        {}", c.credit_pool);
        println!(
            "  rate limits:        {} calls/s, {} calls/day",
            c.rate_limit.per_second, c.rate_limit.per_day
        );
        for user in zi.users() {
            println!("  seeded user:        {} ({:?})", user.email, user.role);
        }
        println!(
            "  test harness:       {}/_sim/{{faults,down,users,tokens/expire,calls}}",
            zi.base_url()
        );
        std::future::pending::<()>().await;
        ExitCode::SUCCESS
    }
}
