//! The vendor HTTP client against a scripted HTTP server on 127.0.0.1:0 that answers 429,
//! 503, or hangs on demand, and logs when each request arrived.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connector::ConnectorError;
use connector::http::{
    BreakerConfig, Call, ClientConfig, Limit, RateLimit, RetryPolicy, Timeouts, Url, VendorClient,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone)]
enum Reply {
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: &'static str,
    },
    /// Reads the request and never answers.
    Hang,
}

fn status(status: u16) -> Reply {
    Reply::Status {
        status,
        headers: vec![],
        body: r#"{"errors":["scripted"]}"#,
    }
}

fn too_many(retry_after: &str) -> Reply {
    Reply::Status {
        status: 429,
        headers: vec![("Retry-After", retry_after.to_owned())],
        body: r#"{"errors":["rate limited"]}"#,
    }
}

#[derive(Clone, Debug)]
struct Arrival {
    at: Instant,
    method: String,
    path: String,
}

struct Server {
    base: Url,
    script: Arc<Mutex<VecDeque<Reply>>>,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Answers each request with the next scripted reply, then 200 `{"ok":true}`.
    async fn start(script: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let script = script.clone();
            let arrivals = arrivals.clone();
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    tokio::spawn(serve(stream, script.clone(), arrivals.clone()));
                }
            }
        });
        Server {
            base,
            script,
            arrivals,
            task,
        }
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    fn arrivals(&self) -> Vec<Arrival> {
        self.arrivals.lock().unwrap().clone()
    }

    fn push(&self, reply: Reply) {
        self.script.lock().unwrap().push_back(reply);
    }
}

/// One request per connection (`Connection: close`), which is all the client needs here.
async fn serve(
    mut stream: TcpStream,
    script: Arc<Mutex<VecDeque<Reply>>>,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let content_length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + content_length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let mut request_line = head.lines().next().unwrap_or("").split(' ');
    arrivals.lock().unwrap().push(Arrival {
        at: Instant::now(),
        method: request_line.next().unwrap_or("").to_owned(),
        path: request_line.next().unwrap_or("").to_owned(),
    });
    let reply = script.lock().unwrap().pop_front().unwrap_or(Reply::Status {
        status: 200,
        headers: vec![],
        body: r#"{"ok":true}"#,
    });
    match reply {
        Reply::Hang => {
            // Until the client gives up and closes the connection.
            let _ = stream.read(&mut chunk).await;
        }
        Reply::Status {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(body);
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    }
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn config() -> ClientConfig {
    ClientConfig {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            total: Duration::from_secs(5),
        },
        rate_limit: RateLimit {
            limits: vec![Limit::per_second(nz(100))],
            max_wait: Duration::from_secs(30),
        },
        retry: RetryPolicy {
            max_attempts: nz(4),
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        },
        breaker: BreakerConfig {
            failures: nz(50),
            cool_down: Duration::from_secs(1),
        },
    }
}

fn client(config: ClientConfig) -> Arc<VendorClient> {
    Arc::new(VendorClient::new("Scripted", &config).unwrap())
}

/// The most requests that arrived in any one-second window.
fn busiest_second(arrivals: &[Arrival]) -> usize {
    let mut times: Vec<Instant> = arrivals.iter().map(|a| a.at).collect();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|&&t| t < times[i] + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn concurrent_calls_never_exceed_three_per_second() {
    let server = Server::start(vec![]).await;
    let mut config = config();
    config.rate_limit.limits = vec![Limit::per_second(nz(3))];
    let client = client(config);
    let begin = Instant::now();
    let calls: Vec<_> = (0..10)
        .map(|i| {
            let client = client.clone();
            let url = server.url(&format!("/v2/users/{i}"));
            tokio::spawn(async move { client.send(Call::get(url)).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().status(), 200);
    }
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 10);
    assert!(busiest_second(&arrivals) <= 3, "{arrivals:?}");
    // 10 calls at 3 per second need at least three full seconds after the first burst.
    assert!(begin.elapsed() >= Duration::from_millis(2900));
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited_for() {
    let server = Server::start(vec![too_many("1")]).await;
    let client = client(config());
    let begin = Instant::now();
    let response = client
        .send(Call::get(server.url("/v2/users")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals[1].at - arrivals[0].at >= Duration::from_millis(950));
    assert!(begin.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_for() {
    let at = std::time::SystemTime::now() + Duration::from_secs(2);
    let server = Server::start(vec![too_many(&httpdate::fmt_http_date(at))]).await;
    let client = client(config());
    client
        .send(Call::get(server.url("/v2/users")))
        .await
        .unwrap();
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 2);
    // HTTP dates have whole seconds: the wait is between one and two seconds.
    assert!(arrivals[1].at - arrivals[0].at >= Duration::from_millis(950));
}

#[tokio::test]
async fn a_429_is_retried_even_for_a_post_since_the_vendor_did_nothing() {
    let server = Server::start(vec![too_many("0")]).await;
    let client = client(config());
    let call = Call::post(server.url("/scim/v2/Users")).json(&json!({"userName": "a@b.c"}));
    assert_eq!(client.send(call).await.unwrap().status(), 200);
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals.iter().all(|a| a.method == "POST"));
}

#[tokio::test]
async fn persistent_429_ends_in_rate_limited() {
    let server = Server::start(vec![too_many("0"); 4]).await;
    let client = client(config());
    let err = client
        .send(Call::get(server.url("/v2/users")))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::RateLimited { .. }), "{err}");
    assert_eq!(
        server.arrivals().len(),
        4,
        "max_attempts bounds the retries"
    );
}

#[tokio::test]
async fn a_long_retry_after_is_handed_back_not_slept_through() {
    let server = Server::start(vec![too_many("3600")]).await;
    let client = client(config());
    let begin = Instant::now();
    let err = client
        .send(Call::get(server.url("/v2/users")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Duration::from_secs(3600)
        }
    );
    assert_eq!(server.arrivals().len(), 1);
    assert!(begin.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_get_is_retried_through_5xx() {
    let server = Server::start(vec![status(503), status(500)]).await;
    let client = client(config());
    let response = client
        .send(Call::get(server.url("/v2/users")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().unwrap(),
        json!({"ok": true})
    );
    assert_eq!(server.arrivals().len(), 3);
}

#[tokio::test]
async fn persistent_5xx_ends_in_transient_naming_the_call() {
    let server = Server::start(vec![status(503); 4]).await;
    let client = client(config());
    let err = client
        .send(Call::put(server.url("/admin/users/7/seat")).json(&json!({"seat": "recording"})))
        .await
        .unwrap_err();
    match err {
        ConnectorError::Transient { reason } => {
            assert!(reason.contains("503"), "{reason}");
            assert!(reason.contains("PUT /admin/users/7/seat"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 4);
    assert!(arrivals.iter().all(|a| a.path == "/admin/users/7/seat"));
}

#[tokio::test]
async fn a_post_is_not_repeated_after_a_5xx_unless_marked_retry_safe() {
    let server = Server::start(vec![status(502)]).await;
    let client = client(config());
    let body = json!({"userName": "a@b.c"});
    let err = client
        .send(Call::post(server.url("/scim/v2/Users")).json(&body))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Transient { .. }), "{err}");
    assert_eq!(server.arrivals().len(), 1);

    server.push(status(502));
    let response = client
        .send(
            Call::post(server.url("/v2/users/extensive"))
                .json(&body)
                .retry_safe(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.arrivals().len(), 3);
}

#[tokio::test]
async fn a_hung_call_times_out_and_is_retried_when_idempotent() {
    let server = Server::start(vec![Reply::Hang]).await;
    let mut config = config();
    config.timeouts.total = Duration::from_millis(300);
    let client = client(config);
    let begin = Instant::now();
    let response = client
        .send(Call::get(server.url("/v2/users")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.arrivals().len(), 2);
    assert!(begin.elapsed() >= Duration::from_millis(300));

    server.push(Reply::Hang);
    let err = client
        .send(Call::post(server.url("/scim/v2/Users")).json(&json!({})))
        .await
        .unwrap_err();
    match err {
        ConnectorError::Transient { reason } => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.arrivals().len(), 3);
}

#[tokio::test]
async fn credentials_refused_are_unauthorized_and_never_retried() {
    let server = Server::start(vec![status(401), status(403)]).await;
    let client = client(config());
    for _ in 0..2 {
        let err = client
            .send(Call::get(server.url("/v2/users")))
            .await
            .unwrap_err();
        assert!(matches!(err, ConnectorError::Unauthorized { .. }), "{err}");
    }
    assert_eq!(server.arrivals().len(), 2);
}

#[tokio::test]
async fn not_found_and_other_client_errors() {
    let server = Server::start(vec![status(404), status(400), status(409)]).await;
    let client = client(config());
    let err = client
        .send(Call::get(server.url("/v2/users/9")))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::NotFound { .. }), "{err}");
    for expected in [400, 409] {
        let response = client
            .send(Call::post(server.url("/scim/v2/Users")).json(&json!({})))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected);
        assert_eq!(response.body_snippet(), r#"{"errors":["scripted"]}"#);
    }
    assert_eq!(server.arrivals().len(), 3);
}

#[tokio::test]
async fn the_breaker_fails_fast_after_consecutive_failures_then_probes() {
    let server = Server::start(vec![status(503); 3]).await;
    let mut config = config();
    config.retry.max_attempts = nz(1);
    config.breaker = BreakerConfig {
        failures: nz(3),
        cool_down: Duration::from_millis(500),
    };
    let client = client(config);
    let url = server.url("/v2/users");
    for _ in 0..3 {
        client.send(Call::get(url.clone())).await.unwrap_err();
    }
    let err = client.send(Call::get(url.clone())).await.unwrap_err();
    match err {
        ConnectorError::Transient { reason } => {
            assert!(reason.contains("3 times in a row"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.arrivals().len(), 3, "the open breaker sent nothing");

    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        client.send(Call::get(url.clone())).await.unwrap().status(),
        200
    );
    assert_eq!(client.send(Call::get(url)).await.unwrap().status(), 200);
    assert_eq!(server.arrivals().len(), 5);
}

#[tokio::test]
async fn an_unreachable_vendor_is_transient() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = client(config());
    let url = Url::parse(&format!("http://127.0.0.1:{port}/v2/users")).unwrap();
    let err = client.send(Call::get(url)).await.unwrap_err();
    match err {
        ConnectorError::Transient { reason } => {
            assert!(reason.contains("could not be reached"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_daily_cap_refuses_with_rate_limited() {
    let server = Server::start(vec![]).await;
    let mut config = config();
    config.rate_limit.limits = vec![Limit::per_second(nz(3)), Limit::per_day(nz(2))];
    let client = client(config);
    let url = server.url("/v2/users");
    client.send(Call::get(url.clone())).await.unwrap();
    client.send(Call::get(url.clone())).await.unwrap();
    let err = client.send(Call::get(url)).await.unwrap_err();
    match err {
        ConnectorError::RateLimited { retry_after } => {
            assert!(retry_after > Duration::from_secs(23 * 3600))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.arrivals().len(), 2);
}
