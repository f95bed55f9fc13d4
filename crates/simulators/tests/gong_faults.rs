//! Gong's rate limits and the simulator's injected faults, over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::{assert_gong_error, read, send, start, unlimited};
use reqwest::Method;
use serde_json::json;
use simulators::gong::GongConfig;
use simulators::{Faults, Trigger};

fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in whole seconds")
}

#[tokio::test]
async fn over_three_calls_a_second_gets_429_with_retry_after() {
    let gong = start(GongConfig::default()).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = gong.api(Method::GET, "/v2/users").send().await.unwrap();
        if response.status() == 429 {
            assert!(retry_after(&response) >= 1);
            let (_, body) = read(response).await;
            assert_gong_error(&body);
            assert!(
                body["errors"][0]
                    .as_str()
                    .unwrap()
                    .contains("3 calls per second"),
                "{body}"
            );
            statuses.push(429);
        } else {
            statuses.push(response.status().as_u16());
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429, 429]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = send(gong.api(Method::GET, "/v2/users")).await;
    assert_eq!(status, 200);

    // Every arrival is logged, refused ones included, so a test can see a client's rate.
    assert_eq!(gong.sim.calls().len(), 7);
    assert!(gong.sim.max_calls_in_window(Duration::from_secs(1)) >= 6);
    assert_eq!(gong.sim.calls_by_route()["GET /v2/users"], 7);
}

#[tokio::test]
async fn a_client_pacing_itself_at_three_a_second_is_never_refused() {
    let gong = start(GongConfig::default()).await;
    // The first call to a fresh server is slow to arrive; pace from a warm one.
    send(gong.scim(Method::GET, "/Users")).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    gong.sim.clear_calls();
    let started = Instant::now();
    for i in 0..9u32 {
        let due = started + Duration::from_millis(350) * i;
        tokio::time::sleep_until(due.into()).await;
        let (status, body) = send(gong.scim(Method::GET, "/Users")).await;
        assert_eq!(status, 200, "call {i}: {body} {:?}", gong.sim.calls());
    }
    assert!(gong.sim.max_calls_in_window(Duration::from_secs(1)) <= 3);
    assert!(gong.sim.calls().iter().all(|c| c.status == Some(200)));
}

#[tokio::test]
async fn the_daily_cap_refuses_until_midnight_utc() {
    let gong = start(GongConfig::default().rate_limit(100, 5)).await;
    for _ in 0..5 {
        let (status, _) = send(gong.api(Method::GET, "/admin/seats")).await;
        assert_eq!(status, 200);
    }
    let response = gong.api(Method::GET, "/admin/seats").send().await.unwrap();
    assert_eq!(response.status(), 429);
    let wait = retry_after(&response);
    assert!((1..=86_400).contains(&wait), "{wait}");
    let (_, body) = read(response).await;
    assert!(
        body["errors"][0].as_str().unwrap().contains("5 per day"),
        "{body}"
    );
}

#[tokio::test]
async fn calls_with_bad_credentials_do_not_use_the_quota() {
    let gong = start(GongConfig::default()).await;
    for _ in 0..5 {
        let (status, _) = send(gong.http.get(format!("{}/v2/users", gong.sim.base_url()))).await;
        assert_eq!(status, 401);
    }
    for _ in 0..3 {
        let (status, _) = send(gong.api(Method::GET, "/v2/users")).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn injected_server_errors_every_nth_and_by_probability() {
    let gong = start(unlimited()).await;
    gong.sim
        .set_faults(Faults {
            server_errors: Trigger::EveryNth { n: 2 },
            ..Faults::default()
        })
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (status, body) = send(gong.api(Method::GET, "/v2/workspaces")).await;
        if status == 503 {
            assert_gong_error(&body);
        }
        statuses.push(status);
    }
    assert_eq!(statuses, vec![200, 503, 200, 503]);

    gong.sim
        .set_faults(Faults {
            server_errors: Trigger::Probability { p: 1.0 },
            server_error_status: 502,
            ..Faults::default()
        })
        .unwrap();
    let (status, _) = send(
        gong.scim(Method::POST, "/Users")
            .json(&common::user_body("e@example.com", None)),
    )
    .await;
    assert_eq!(status, 502);
    assert!(
        gong.sim.user_by_email("e@example.com").is_none(),
        "a failed call changes nothing"
    );

    gong.sim.clear_faults();
    let (status, _) = send(gong.api(Method::GET, "/v2/workspaces")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn injected_429_burst_carries_its_retry_after() {
    let gong = start(unlimited()).await;
    gong.sim
        .set_faults(Faults {
            rate_limited: Trigger::Next { n: 2 },
            retry_after_secs: 7,
            ..Faults::default()
        })
        .unwrap();
    for _ in 0..2 {
        let response = gong.api(Method::GET, "/v2/users").send().await.unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(retry_after(&response), 7);
    }
    let (status, _) = send(gong.api(Method::GET, "/v2/users")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn injected_latency_delays_answers() {
    let gong = start(unlimited()).await;
    gong.sim
        .set_faults(Faults {
            latency: Duration::from_millis(300),
            ..Faults::default()
        })
        .unwrap();
    let started = Instant::now();
    let (status, _) = send(gong.api(Method::GET, "/v2/users")).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn hung_requests_time_the_client_out_and_are_released_by_new_faults() {
    let gong = start(unlimited()).await;
    gong.sim
        .set_faults(Faults {
            hang: Trigger::Next { n: 1 },
            ..Faults::default()
        })
        .unwrap();
    let error = gong
        .api(Method::GET, "/v2/users")
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    let (status, _) = send(gong.api(Method::GET, "/v2/users")).await;
    assert_eq!(status, 200);

    gong.sim
        .set_faults(Faults {
            hang: Trigger::Always,
            ..Faults::default()
        })
        .unwrap();
    let hung = tokio::spawn(gong.api(Method::GET, "/v2/users").send());
    while gong.sim.calls().last().is_none_or(|c| c.status.is_some()) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gong.sim.clear_faults();
    let response = tokio::time::timeout(Duration::from_secs(5), hung)
        .await
        .expect("released")
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn stop_refuses_connections_and_restart_keeps_port_and_state() {
    let gong = start(unlimited()).await;
    let id = gong.scim_create("kept@example.com", None).await;
    let addr = gong.sim.addr();

    gong.sim.stop().await;
    assert!(!gong.sim.is_up().await);
    let error = gong.api(Method::GET, "/v2/users").send().await.unwrap_err();
    assert!(error.is_connect(), "{error}");

    gong.sim.restart().await.unwrap();
    assert_eq!(gong.sim.addr(), addr);
    let (status, body) = send(gong.api(Method::GET, &format!("/v2/users/{id}"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["emailAddress"], "kept@example.com");
}

#[tokio::test]
async fn the_control_endpoint_takes_the_simulator_down_for_a_while() {
    let gong = start(unlimited()).await;
    let (status, body) = send(
        gong.control(Method::POST, "/down")
            .json(&json!({"seconds": 1})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let went_down = Instant::now();
    // Down at once, up again after about a second: poll, bounded.
    let mut refused = false;
    let mut back = None;
    while went_down.elapsed() < Duration::from_secs(10) {
        match gong
            .api(Method::GET, "/v2/workspaces")
            .timeout(Duration::from_secs(1))
            .send()
            .await
        {
            Err(e) if e.is_connect() => refused = true,
            Ok(response) if refused && response.status() == 200 => {
                back = Some(went_down.elapsed());
                break;
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "connections were refused while down");
    let back = back.expect("back up within 10 s");
    assert!(back >= Duration::from_millis(900), "{back:?}");
}

#[tokio::test]
async fn faults_are_set_read_and_cleared_over_http() {
    let gong = start(unlimited()).await;
    let (status, body) = send(gong.control(Method::PUT, "/faults").json(&json!({
        "serverErrors": {"kind": "every_nth", "n": 3},
        "latencyMs": 5,
        "seed": 9,
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(gong.sim.faults().server_errors, Trigger::EveryNth { n: 3 });
    let (_, body) = send(gong.control(Method::GET, "/faults")).await;
    assert_eq!(body["latencyMs"], 5);

    let (status, body) = send(gong.control(Method::PUT, "/faults").json(&json!({
        "hang": {"kind": "probability", "p": 2.0}
    })))
    .await;
    assert_eq!(status, 400);
    assert_gong_error(&body);

    let (status, _) = send(gong.control(Method::DELETE, "/faults")).await;
    assert_eq!(status, 204);
    assert_eq!(gong.sim.faults(), Faults::default());

    // Control calls are neither faulted nor logged.
    assert!(gong.sim.calls().is_empty());
    send(gong.api(Method::GET, "/v2/users")).await;
    let (_, calls) = send(gong.control(Method::GET, "/calls")).await;
    assert_eq!(calls["total"], 1);
    assert_eq!(calls["byRoute"]["GET /v2/users"], 1);
}

#[tokio::test]
async fn lost_responses_apply_the_change_but_answer_an_error() {
    let gong = start(unlimited()).await;
    gong.sim
        .set_faults(Faults {
            lost_responses: Trigger::Next { n: 1 },
            ..Faults::default()
        })
        .unwrap();
    let body = common::user_body("lost@example.com", None);
    let (status, answer) = send(gong.scim(Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, 503, "{answer}");
    assert_gong_error(&answer);
    assert_eq!(
        gong.sim.count_by_email("lost@example.com"),
        1,
        "the create happened"
    );
    // A blind retry is refused as a duplicate: the client must look the user up.
    let (status, answer) = send(gong.scim(Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(gong.sim.count_by_email("lost@example.com"), 1);
}

#[tokio::test]
async fn stopping_drops_hung_requests_without_answering_them() {
    let gong = start(unlimited()).await;
    gong.sim
        .set_faults(Faults {
            hang: Trigger::Always,
            ..Faults::default()
        })
        .unwrap();
    let hung = tokio::spawn(gong.api(Method::GET, "/v2/users").send());
    while gong.sim.calls().last().is_none_or(|c| c.status.is_some()) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gong.sim.stop().await;
    let outcome = tokio::time::timeout(Duration::from_secs(5), hung)
        .await
        .expect("the connection is closed")
        .unwrap();
    assert!(
        outcome.is_err(),
        "no answer, a closed connection: {outcome:?}"
    );
    gong.sim.restart().await.unwrap();
    gong.sim.clear_faults();
    let (status, _) = send(gong.api(Method::GET, "/v2/users")).await;
    assert_eq!(status, 200);
}
