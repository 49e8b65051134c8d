//! The room's timers and its stop, on tokio's paused clock: nothing here waits for real.

use super::*;
use crate::clock::ManualClock;
use crate::domain::{InviteKind, MeetingStatus};
use crate::secret::Secret;
use crate::sfu::SfuConfig;
use crate::storage::Store;
use chrono::Utc;
use tokio::task::JoinHandle;

const GRACE: Duration = Duration::from_secs(120);
/// How long a dropped participant keeps the seat in these rooms.
const SEAT_GRACE: Duration = Duration::from_secs(30);

struct TestRoom {
    task: JoinHandle<()>,
    commands: mpsc::UnboundedSender<Command>,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

/// A room of its own on a real SQLite file; the clock is paused once the store is open.
async fn room() -> TestRoom {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("room.db").display());
    let store = Store::open(&Secret::new(url)).await.expect("the store opens");
    let (persister, _writer) = Persister::spawn(store, CancellationToken::new());
    let stop = CancellationToken::new();
    let deps = RoomDeps {
        sfu: Sfu::new(SfuConfig::default()),
        ice: Arc::new(IceConfig {
            stun: vec![],
            turn: vec![],
            turn_secret: None,
            turn_ttl: chrono::Duration::hours(1),
            relay_only: false,
        }),
        clock: Arc::new(ManualClock::at(Utc::now())),
        persister,
        events: Events::default(),
        grace: GRACE,
        seat_grace: SEAT_GRACE,
        fault_forward_to_sent_out: false,
        draining: Default::default(),
        metrics: Default::default(),
        stop: stop.clone(),
    };
    let meeting = MeetingInfo {
        id: Uuid::now_v7(),
        purpose: "Test".into(),
        scheduled_at: Utc::now(),
        status: MeetingStatus::Live,
    };
    let (actor, media) = RoomActor::new(meeting, RoomMemory::default(), Uuid::now_v7(), deps);
    let (commands, inbox) = mpsc::unbounded_channel();
    tokio::time::pause();
    TestRoom { task: tokio::spawn(actor.run(inbox, media)), commands, stop, _dir: dir }
}

/// The chair joins on connection `conn`; what the room sends him comes on the receiver.
async fn chair_joins(room: &TestRoom, conn: ConnId) -> mpsc::Receiver<Outgoing> {
    let (outgoing, messages) = mpsc::channel(64);
    let (signals, _) = mpsc::unbounded_channel();
    let (reply, joined) = oneshot::channel();
    let joining = Joining {
        key: PrincipalKey::User(Uuid::now_v7()),
        conn,
        name: "Inge de Wit".into(),
        organisation: Some("PI Dordrecht".into()),
        role: "casemanager".into(),
        kind: InviteKind::Member,
        chair: true,
        e2ee_key: None,
    };
    room.commands.send(Command::Join { joining, outgoing, signals, reply }).expect("the room runs");
    assert!(joined.await.expect("the room answers").is_some(), "the chair is let in");
    messages
}

#[tokio::test]
async fn an_empty_room_ends_once_its_grace_period_is_over_and_not_before() {
    let room = room().await;
    let _messages = chair_joins(&room, 1).await;
    room.commands.send(Command::Disconnected { conn: 1 }).expect("the room runs");

    // The chair's seat is held first; the room is empty once that is over.
    tokio::time::sleep(SEAT_GRACE + GRACE - Duration::from_secs(1)).await;
    assert!(!room.task.is_finished(), "the room waits out the seat's and its own grace period");
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::time::timeout(Duration::from_secs(1), room.task).await.expect("the room ended").expect("cleanly");
}

#[tokio::test]
async fn someone_back_within_the_grace_period_keeps_the_room() {
    let room = room().await;
    let _first = chair_joins(&room, 1).await;
    room.commands.send(Command::Disconnected { conn: 1 }).expect("the room runs");
    tokio::time::sleep(GRACE / 2).await;
    let _again = chair_joins(&room, 2).await;

    tokio::time::sleep(GRACE * 2).await;
    assert!(!room.task.is_finished(), "an occupied room does not end");
}

#[tokio::test]
async fn a_stopping_node_closes_every_connection_and_the_room_ends() {
    let room = room().await;
    let mut messages = chair_joins(&room, 1).await;

    room.stop.cancel();
    let closed = async {
        while let Some(outgoing) = messages.recv().await {
            if matches!(outgoing, Outgoing::Close) {
                return true;
            }
        }
        false
    };
    assert!(
        tokio::time::timeout(Duration::from_secs(5), closed).await.expect("in time"),
        "the chair's connection is closed"
    );
    tokio::time::timeout(Duration::from_secs(5), room.task).await.expect("the room ended").expect("cleanly");
}
