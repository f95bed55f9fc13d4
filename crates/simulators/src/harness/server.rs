//! Serving a simulator over HTTP, and taking its server down and back up on the same port
//! while its state lives on: a vendor outage, as a test sees it (connections refused, hung
//! requests dropped unanswered).

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use super::{Shared, Vendor, control, guard};

/// Serves `shared` on `listener` with one worker: the vendor's routes and the common
/// `/_sim` controls behind the [`guard`], counting connections for [`Lifecycle::stop`].
pub(crate) fn serve<V: Vendor>(
    shared: &web::Data<Shared<V>>,
    listener: TcpListener,
    connections: &Arc<AtomicUsize>,
) -> std::io::Result<ServerHandle> {
    let shared = shared.clone();
    let connections = connections.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .app_data(web::QueryConfig::default().error_handler(guard::query_error::<V>))
            .wrap(from_fn(guard::guard::<V, _>))
            .configure(V::routes)
            .configure(control::routes::<V>)
            .default_service(web::to(guard::not_found::<V>))
    })
    .on_connect(move |_, extensions| {
        extensions.insert(Arc::new(ConnectionGuard::new(&connections)));
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}

/// Builds and spawns one vendor's server on a listener; every connection it accepts must
/// hold a [`ConnectionGuard`] made from the counter, so that `stop` can wait for them.
pub(crate) type Serve =
    Box<dyn Fn(TcpListener, &Arc<AtomicUsize>) -> std::io::Result<ServerHandle> + Send + Sync>;

/// Lives as long as one client connection: the server counts them so that `stop` can wait
/// until every kept-alive connection is really closed.
pub(crate) struct ConnectionGuard(Arc<AtomicUsize>);

impl ConnectionGuard {
    pub(crate) fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard(count.clone())
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Starts and stops the HTTP server of one simulated tenant; the state outlives it.
pub(crate) struct Lifecycle {
    pub(crate) addr: SocketAddr,
    /// Names the simulator in the log line of a failed restart.
    vendor: &'static str,
    serve: Serve,
    /// Called once the server has stopped, to release requests hung by a fault.
    stopped: Box<dyn Fn() + Send + Sync>,
    server: tokio::sync::Mutex<Option<ServerHandle>>,
    connections: Arc<AtomicUsize>,
}

impl Drop for Lifecycle {
    fn drop(&mut self) {
        // The stop command is queued at once; the server acts on it while its runtime runs.
        if let Some(server) = self.server.get_mut().take() {
            drop(server.stop(false));
        }
    }
}

impl Lifecycle {
    /// Serves on `listener` (bound to `addr`) at once.
    pub(crate) fn start_on(
        vendor: &'static str,
        listener: TcpListener,
        addr: SocketAddr,
        serve: Serve,
        stopped: Box<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<Lifecycle> {
        let connections = Arc::new(AtomicUsize::new(0));
        let handle = serve(listener, &connections)?;
        Ok(Lifecycle {
            addr,
            vendor,
            serve,
            stopped,
            server: tokio::sync::Mutex::new(Some(handle)),
            connections,
        })
    }

    pub(crate) async fn is_up(&self) -> bool {
        self.server.lock().await.is_some()
    }

    pub(crate) async fn stop(&self) {
        let mut slot = self.server.lock().await;
        if let Some(server) = slot.take() {
            server.stop(false).await;
            // The listener is closed now; the worker drops open connections, hung requests
            // included, right after.
            let deadline = Instant::now() + Duration::from_secs(2);
            while self.connections.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (self.stopped)();
        }
    }

    pub(crate) async fn start(&self) -> std::io::Result<()> {
        let mut slot = self.server.lock().await;
        if slot.is_some() {
            return Ok(());
        }
        // The old listener closes as its accept thread ends; give the port a moment.
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(self.addr) {
                Ok(listener) => break listener,
                Err(e) if attempts < 50 && e.kind() == std::io::ErrorKind::AddrInUse => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        };
        *slot = Some((self.serve)(listener, &self.connections)?);
        Ok(())
    }

    /// Down now, up again after `downtime`; nobody awaits the outcome, so a failure to
    /// come back is logged.
    pub(crate) async fn down_for(&self, downtime: Duration) {
        self.stop().await;
        tokio::time::sleep(downtime).await;
        if let Err(e) = self.start().await {
            eprintln!(
                "{} simulator: could not come back up: {e}",
                self.vendor.to_ascii_lowercase()
            );
        }
    }
}
