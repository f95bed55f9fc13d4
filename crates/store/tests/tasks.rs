//! Human tasks on every backend: one task per identical change, resources attached and
//! detached, verification by read or by confirmation, paging, and the audit trail.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{app, stores};
use serde_json::json;
use store::{
    Announcement, NewTask, ResourceKind, Store, StoreError, TaskFilter, TaskState, Verification,
};

/// Claiming verifications takes every app's due tasks, and the tests share one Postgres
/// database: the tests that claim run one at a time.
static CLAIMING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn gong_app(store: &Store, prefix: &str) -> String {
    app(store, prefix, "gong".parse().expect("a kind")).await
}

fn bundle(name: &str, verification: Verification) -> NewTask {
    NewTask {
        change_key: format!("assignment:{name}"),
        kind: "gong-assignment".into(),
        title: format!("Map the group 'scimbridge: {name}' in Gong"),
        change: json!({"group": format!("scimbridge: {name}"), "profile": name}),
        instructions: vec![
            "Open Company settings › Team member provisioning".into(),
            format!("Add an assignment for the group 'scimbridge: {name}'"),
        ],
        verification,
    }
}

/// Opens (or joins) the task for `change` with the user `user`, as the engine does.
async fn open(store: &Store, app: &str, change: &NewTask, user: &str) -> store::Opened {
    store
        .open_task(app, change, (ResourceKind::User, user), "engine", None)
        .await
        .unwrap()
}

fn events_of(events: &[store::TaskEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event.as_str()).collect()
}

#[tokio::test]
async fn identical_changes_share_one_task_and_a_resource_attaches_once() {
    for store in stores().await {
        let a = gong_app(&store, "tasks-one").await;
        let change = bundle("Sales Rep / recording", Verification::Read);
        let first = store
            .open_task(
                &a,
                &change,
                (ResourceKind::User, "u1"),
                "engine",
                Some(Utc::now()),
            )
            .await
            .unwrap();
        assert!(first.new && first.attached);
        assert_eq!(first.task.state, TaskState::Open);
        assert!(first.task.next_check_at.is_some());

        let again = open(&store, &a, &change, "u1").await;
        assert!(
            !again.new && !again.attached,
            "the same resource again changes nothing"
        );
        let second = open(&store, &a, &change, "u2").await;
        assert_eq!(second.task.id, first.task.id, "one task for one change");
        assert!(!second.new && second.attached);
        let ids: Vec<&str> = second
            .task
            .resources
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["u1", "u2"]);

        let other = open(
            &store,
            &a,
            &bundle("Viewer / none", Verification::Read),
            "u3",
        )
        .await;
        assert!(other.new);
        assert_ne!(other.task.id, first.task.id);

        let events = store.task_events(&first.task.id).await.unwrap();
        assert_eq!(events_of(&events), ["opened", "attached", "attached"]);
        assert_eq!(events[2].detail["id"], "u2");
    }
}

#[tokio::test]
async fn concurrent_openers_of_one_change_open_one_task() {
    for store in stores().await {
        let a = gong_app(&store, "tasks-race").await;
        let change = bundle("Manager / recording", Verification::Read);
        let openers = (0..8).map(|n| {
            let (store, a, change) = (store.clone(), a.clone(), change.clone());
            tokio::spawn(async move {
                let id = format!("user-{n}");
                open(&store, &a, &change, &id).await
            })
        });
        let mut ids = Vec::new();
        let mut new = 0;
        for opener in openers {
            let opened = opener.await.unwrap();
            new += usize::from(opened.new);
            ids.push(opened.task.id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "every opener got the same task");
        assert_eq!(new, 1, "exactly one opener opened it");
        let task = store.task(&ids[0]).await.unwrap().unwrap();
        assert_eq!(task.resources.len(), 8);
    }
}

#[tokio::test]
async fn a_read_verified_task_closes_only_when_the_read_confirms_it() {
    for store in stores().await {
        let a = gong_app(&store, "tasks-read").await;
        let opened = open(
            &store,
            &a,
            &bundle("Sales Rep / recording", Verification::Read),
            "u1",
        )
        .await;
        let id = opened.task.id;

        let done = store.mark_task_done(&id, "admin:ops").await.unwrap();
        assert_eq!(
            done.state,
            TaskState::Done,
            "done waits for its verification"
        );
        assert_eq!(done.done_by.as_deref(), Some("admin:ops"));
        assert!(done.next_check_at.is_some(), "verified at once");

        let later = Utc::now() + chrono::Duration::minutes(5);
        let reopened = store
            .record_task_check(&id, Err("no profile on u1 yet"), later)
            .await
            .unwrap();
        assert_eq!(
            reopened.state,
            TaskState::Open,
            "the vendor does not show it: open again"
        );
        assert_eq!(reopened.failed_checks, 1);
        assert_eq!(
            reopened.last_check_error.as_deref(),
            Some("no profile on u1 yet")
        );

        let verified = store.record_task_check(&id, Ok(()), later).await.unwrap();
        assert_eq!(verified.state, TaskState::Verified);
        assert_eq!(verified.closed_by.as_deref(), Some("engine"));
        assert_eq!(verified.next_check_at, None);

        let events = store.task_events(&id).await.unwrap();
        assert_eq!(
            events_of(&events),
            ["opened", "attached", "done", "reopened", "verified"]
        );
        assert_eq!(events[2].actor, "admin:ops");

        let refused = store.mark_task_done(&id, "admin:ops").await.unwrap_err();
        assert!(
            matches!(
                refused,
                StoreError::TaskClosed {
                    state: "verified",
                    ..
                }
            ),
            "{refused}"
        );
        assert!(
            refused.to_string().contains("cannot be marked done"),
            "{refused}"
        );
        // A new identical change after the close opens a new task.
        let next = open(
            &store,
            &a,
            &bundle("Sales Rep / recording", Verification::Read),
            "u9",
        )
        .await;
        assert!(next.new);
        assert_ne!(next.task.id, id);
    }
}

#[tokio::test]
async fn a_confirmation_only_task_closes_on_the_admins_word_recorded_with_who() {
    for store in stores().await {
        let a = gong_app(&store, "tasks-confirm").await;
        let change = NewTask {
            change_key: "credit-cap:u1:500".into(),
            kind: "zoominfo-credit-cap".into(),
            title: "Set u1's credit cap to 500".into(),
            change: json!({"creditLimit": 500}),
            instructions: vec!["Admin Portal › Users › u1 › Credits: 500".into()],
            verification: Verification::Confirmation,
        };
        let opened = store
            .open_task(
                &a,
                &change,
                (ResourceKind::User, "u1"),
                "engine",
                Some(Utc::now()),
            )
            .await
            .unwrap();
        assert_eq!(opened.task.next_check_at, None, "nothing to read");
        let closed = store
            .mark_task_done(&opened.task.id, "admin:kim")
            .await
            .unwrap();
        assert_eq!(closed.state, TaskState::Verified);
        assert_eq!(closed.closed_by.as_deref(), Some("admin:kim"));
        let events = store.task_events(&opened.task.id).await.unwrap();
        assert_eq!(events.last().unwrap().event, "verified");
        assert_eq!(events.last().unwrap().detail["by"], "confirmation");
    }
}

#[tokio::test]
async fn a_moot_resource_detaches_and_the_last_one_cancels_the_task() {
    for store in stores().await {
        let a = gong_app(&store, "tasks-moot").await;
        let change = bundle("Viewer / none", Verification::Read);
        let task = open(&store, &a, &change, "u1").await.task;
        open(&store, &a, &change, "u2").await;

        let after = store
            .detach_from_tasks(&a, "u1", "engine", "u1's role changed")
            .await
            .unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].state, TaskState::Open, "u2 still waits on it");
        assert_eq!(after[0].resources.len(), 1);

        let after = store
            .detach_from_tasks(&a, "u2", "engine", "u2 was deactivated")
            .await
            .unwrap();
        assert_eq!(after[0].state, TaskState::Cancelled);
        assert!(
            store
                .detach_from_tasks(&a, "u2", "engine", "again")
                .await
                .unwrap()
                .is_empty()
        );
        let events = store.task_events(&task.id).await.unwrap();
        assert_eq!(
            events_of(&events),
            [
                "opened",
                "attached",
                "attached",
                "detached",
                "detached",
                "cancelled"
            ]
        );
        assert_eq!(events[5].detail["reason"], "moot: u2 was deactivated");
    }
}

#[tokio::test]
async fn an_admin_cancels_a_pending_task_but_not_a_closed_one() {
    for store in stores().await {
        let a = gong_app(&store, "tasks-cancel").await;
        let id = open(&store, &a, &bundle("Rep", Verification::Read), "u1")
            .await
            .task
            .id;
        let cancelled = store
            .cancel_task(&id, "admin:ops", "handled by hand")
            .await
            .unwrap();
        assert_eq!(cancelled.state, TaskState::Cancelled);
        assert_eq!(cancelled.closed_by.as_deref(), Some("admin:ops"));
        let again = store
            .cancel_task(&id, "admin:ops", "twice")
            .await
            .unwrap_err();
        assert!(
            matches!(
                again,
                StoreError::TaskClosed {
                    state: "cancelled",
                    ..
                }
            ),
            "{again}"
        );
        let missing = store
            .mark_task_done("no-such-task", "admin:ops")
            .await
            .unwrap_err();
        assert!(matches!(missing, StoreError::TaskNotFound(_)), "{missing}");
    }
}

#[tokio::test]
async fn tasks_list_newest_first_by_app_and_state_a_page_at_a_time() {
    for store in stores().await {
        let a = gong_app(&store, "tasks-list").await;
        let b = gong_app(&store, "tasks-list-b").await;
        let mut ids = Vec::new();
        for n in 0..5 {
            let opened = open(
                &store,
                &a,
                &bundle(&format!("bundle {n}"), Verification::Read),
                "u",
            )
            .await;
            ids.push(opened.task.id);
        }
        open(&store, &b, &bundle("elsewhere", Verification::Read), "u").await;
        store
            .cancel_task(&ids[1], "admin", "not needed")
            .await
            .unwrap();

        let page = |before: Option<String>, state: Option<TaskState>| TaskFilter {
            app: Some(a.clone()),
            state,
            before,
            limit: 2,
        };
        let first = store.tasks(&page(None, None)).await.unwrap();
        let second = store
            .tasks(&page(Some(first[1].id.clone()), None))
            .await
            .unwrap();
        let third = store
            .tasks(&page(Some(second[1].id.clone()), None))
            .await
            .unwrap();
        let listed: Vec<String> = [first, second, third]
            .concat()
            .into_iter()
            .map(|t| t.id)
            .collect();
        let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
        assert_eq!(listed, newest_first);

        let open = store
            .tasks(&page(None, Some(TaskState::Open)))
            .await
            .unwrap();
        assert!(
            open.iter()
                .all(|t| t.state == TaskState::Open && t.app == a)
        );
        let cancelled = store
            .tasks(&TaskFilter {
                state: Some(TaskState::Cancelled),
                ..page(None, None)
            })
            .await
            .unwrap();
        assert_eq!(cancelled.len(), 1);
        assert_eq!(cancelled[0].id, ids[1]);

        let counts = store.pending_task_counts().await.unwrap();
        assert!(counts.contains(&(a.clone(), 4)), "{counts:?}");
        assert!(counts.contains(&(b.clone(), 1)), "{counts:?}");

        let unknown = store
            .tasks(&page(Some("no-such-task".into()), None))
            .await
            .unwrap_err();
        assert!(matches!(unknown, StoreError::TaskNotFound(_)), "{unknown}");
    }
}

#[tokio::test]
async fn due_verifications_are_claimed_by_one_instance_at_a_time() {
    let _claiming = CLAIMING.lock().await;
    for store in stores().await {
        let a = gong_app(&store, "tasks-claim").await;
        let now = Utc::now();
        let due = store
            .open_task(
                &a,
                &bundle("due", Verification::Read),
                (ResourceKind::User, "u1"),
                "engine",
                Some(now),
            )
            .await
            .unwrap()
            .task;
        store
            .open_task(
                &a,
                &bundle("later", Verification::Read),
                (ResourceKind::User, "u2"),
                "engine",
                Some(now + chrono::Duration::hours(1)),
            )
            .await
            .unwrap();
        let lease = Duration::from_secs(60);
        let mine = |tasks: Vec<store::Task>| -> Vec<String> {
            tasks
                .into_iter()
                .filter(|t| t.app == a)
                .map(|t| t.id)
                .collect()
        };
        let claimed = mine(store.claim_task_checks(now, lease, 100).await.unwrap());
        assert_eq!(claimed, [due.id.as_str()]);
        assert!(
            mine(store.claim_task_checks(now, lease, 100).await.unwrap()).is_empty(),
            "leased: not claimed twice"
        );
        let after_lease = now + chrono::Duration::seconds(61);
        assert_eq!(
            mine(
                store
                    .claim_task_checks(after_lease, lease, 100)
                    .await
                    .unwrap()
            ),
            [due.id.as_str()]
        );
    }
}

#[tokio::test]
async fn a_task_of_an_unknown_app_is_refused() {
    for store in stores().await {
        let refused = store
            .open_task(
                "no-such-app",
                &bundle("x", Verification::Read),
                (ResourceKind::User, "u"),
                "engine",
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(refused, StoreError::AppNotFound(_)), "{refused}");
    }
}

#[tokio::test]
async fn a_task_is_announced_once_when_opened_and_once_when_overdue() {
    const LEASE: Duration = Duration::from_secs(60);
    const DAY: Duration = Duration::from_secs(24 * 60 * 60);
    for store in stores().await {
        let a = gong_app(&store, "tasks-announce").await;
        let opened = open(
            &store,
            &a,
            &bundle("Manager / recording", Verification::Confirmation),
            "u1",
        )
        .await;
        let id = opened.task.id.as_str();
        let at = Utc::now();

        let due = store
            .claim_task_announcements(Some(&a), at, DAY, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].task.id, id);
        assert_eq!(due[0].announcement, Announcement::Opened);
        assert_eq!(due[0].attempts, 0);
        let again = store
            .claim_task_announcements(Some(&a), at, DAY, LEASE, 10)
            .await
            .unwrap();
        assert!(again.is_empty(), "a claimed announcement is leased");

        store
            .record_task_announced(id, Announcement::Opened, "https://hooks.example")
            .await
            .unwrap();
        store
            .record_task_announced(id, Announcement::Opened, "https://hooks.example")
            .await
            .unwrap();
        let none = store
            .claim_task_announcements(Some(&a), at, DAY, LEASE, 10)
            .await
            .unwrap();
        assert!(none.is_empty(), "announced, and not overdue yet");

        let later = Utc::now() + chrono::Duration::days(2);
        let overdue = store
            .claim_task_announcements(Some(&a), later, DAY, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(overdue.len(), 1);
        assert_eq!(overdue[0].announcement, Announcement::Overdue);
        store
            .record_task_announced(id, Announcement::Overdue, "https://hooks.example")
            .await
            .unwrap();
        let much_later = later + chrono::Duration::days(2);
        let done = store
            .claim_task_announcements(Some(&a), much_later, DAY, LEASE, 10)
            .await
            .unwrap();
        assert!(done.is_empty(), "each announcement is made once");

        let events = store.task_events(id).await.unwrap();
        assert_eq!(
            events_of(&events),
            ["opened", "attached", "announced", "announced-overdue"]
        );
        assert_eq!(events[2].detail, json!({"to": "https://hooks.example"}));
    }
}

#[tokio::test]
async fn a_failed_announcement_is_retried_after_its_backoff_and_closed_tasks_are_not_announced() {
    const LEASE: Duration = Duration::from_secs(60);
    const DAY: Duration = Duration::from_secs(24 * 60 * 60);
    for store in stores().await {
        let a = gong_app(&store, "tasks-announce-retry").await;
        let open = |name: &'static str| {
            let store = store.clone();
            let a = a.clone();
            async move {
                store
                    .open_task(
                        &a,
                        &bundle(name, Verification::Read),
                        (ResourceKind::User, name),
                        "engine",
                        None,
                    )
                    .await
                    .unwrap()
                    .task
            }
        };
        let task = open("kept").await;
        let cancelled = open("cancelled").await;
        store
            .cancel_task(&cancelled.id, "admin", "not needed")
            .await
            .unwrap();

        let at = Utc::now();
        let due = store
            .claim_task_announcements(Some(&a), at, DAY, LEASE, 10)
            .await
            .unwrap();
        let ids: Vec<&str> = due.iter().map(|d| d.task.id.as_str()).collect();
        assert_eq!(ids, [task.id.as_str()], "a closed task is not announced");

        let retry_at = at + chrono::Duration::seconds(30);
        let attempts = store
            .record_task_announce_failed(&task.id, retry_at)
            .await
            .unwrap();
        assert_eq!(attempts, 1);
        let early = store
            .claim_task_announcements(Some(&a), at, DAY, LEASE, 10)
            .await
            .unwrap();
        assert!(early.is_empty(), "not before its backoff");
        let retried = store
            .claim_task_announcements(Some(&a), retry_at, DAY, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(retried.len(), 1);
        assert_eq!(retried[0].announcement, Announcement::Opened);
        assert_eq!(retried[0].attempts, 1);
        assert!(matches!(
            store
                .record_task_announce_failed("no-such-task", retry_at)
                .await,
            Err(StoreError::TaskNotFound(_))
        ));
    }
}

#[tokio::test]
async fn concurrent_claimers_of_one_announcement_claim_it_once() {
    const LEASE: Duration = Duration::from_secs(60);
    const DAY: Duration = Duration::from_secs(24 * 60 * 60);
    for store in stores().await {
        let a = gong_app(&store, "tasks-announce-race").await;
        for name in ["one", "two", "three"] {
            store
                .open_task(
                    &a,
                    &bundle(name, Verification::Read),
                    (ResourceKind::User, name),
                    "engine",
                    None,
                )
                .await
                .unwrap();
        }
        let at = Utc::now();
        let claims = (0..4).map(|_| {
            let store = store.clone();
            let a = a.clone();
            tokio::spawn(async move {
                store
                    .claim_task_announcements(Some(&a), at, DAY, LEASE, 10)
                    .await
                    .unwrap()
            })
        });
        let mut ids = Vec::new();
        for claim in claims.collect::<Vec<_>>() {
            ids.extend(claim.await.unwrap().into_iter().map(|d| d.task.id));
        }
        let total = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!((total, ids.len()), (3, 3), "each claimed exactly once");
    }
}
