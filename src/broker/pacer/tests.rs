use super::*;
use tokio::time::Instant;

fn paced(budget: u32) -> (Pacer, Instant) {
    let start = Instant::now();
    (Pacer::local(budget, Clock::Tokio(start)), start)
}

#[tokio::test(start_paused = true)]
async fn a_burst_up_to_the_budget_goes_at_once() {
    let (pacer, start) = paced(45);
    for _ in 0..45 {
        pacer.acquire(1).await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    let stats = pacer.stats();
    assert_eq!((stats.in_window, stats.sent, stats.queued), (45, 45, 0));
    assert_eq!(stats.longest_wait, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn the_next_waits_exactly_until_the_oldest_leaves_the_window() {
    let (pacer, start) = paced(45);
    pacer.acquire(1).await;
    tokio::time::advance(Duration::from_millis(300)).await;
    for _ in 0..44 {
        pacer.acquire(1).await;
    }
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    // The 46th goes when the first (sent at 0) leaves, not after an even drip.
    pacer.acquire(1).await;
    assert_eq!(start.elapsed(), WINDOW);
    // The 47th waits for the ones sent at 300 ms.
    pacer.acquire(1).await;
    assert_eq!(start.elapsed(), Duration::from_millis(300) + WINDOW);
    assert_eq!(pacer.stats().longest_wait, WINDOW - Duration::from_millis(300));
}

#[tokio::test(start_paused = true)]
async fn cancels_count_against_the_window() {
    let (pacer, start) = paced(10);
    for _ in 0..8 {
        pacer.acquire(1).await;
    }
    pacer.note_sent(2);
    assert_eq!(pacer.stats().in_window, 10);
    pacer.acquire(1).await;
    assert_eq!(start.elapsed(), WINDOW);
}

#[tokio::test(start_paused = true)]
async fn a_multi_message_request_waits_for_room_for_all_of_it() {
    let (pacer, start) = paced(10);
    for _ in 0..8 {
        pacer.acquire(1).await;
    }
    assert!(pacer.try_now(3).is_err());
    assert_eq!(pacer.try_now(2), Ok(()));
    assert_eq!(pacer.try_now(1), Err(WINDOW));
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_budget_change_takes_effect_on_the_next_message() {
    let (pacer, start) = paced(45);
    pacer.set_budget(10);
    for _ in 0..10 {
        pacer.acquire(1).await;
    }
    assert!(pacer.try_now(1).is_err(), "the 11th must wait under a budget of 10");
    pacer.set_budget(20);
    for _ in 0..10 {
        pacer.acquire(1).await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(pacer.stats().budget, 20);
    // Out-of-range budgets are held to 1..=200.
    pacer.set_budget(0);
    assert_eq!(pacer.budget(), 1);
    pacer.set_budget(10_000);
    assert_eq!(pacer.budget(), MAX_BUDGET);
}

#[tokio::test(start_paused = true)]
async fn waiting_senders_go_in_the_order_they_asked_and_show_as_queued() {
    let (pacer, start) = paced(2);
    pacer.acquire(2).await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..3 {
        let (pacer, order) = (pacer.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            pacer.acquire(1).await;
            lock(&order).push((i, start.elapsed()));
        }));
        tokio::task::yield_now().await;
    }
    assert_eq!(pacer.stats().queued, 3);
    for task in tasks {
        task.await.expect("sender");
    }
    let order = lock(&order).clone();
    assert_eq!(order, vec![(0, WINDOW), (1, WINDOW), (2, WINDOW * 2)]);
    assert_eq!(pacer.stats().queued, 0);
}

#[test]
fn processes_on_one_gateway_share_one_budget() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = Pacer::shared(5, dir.path(), "127.0.0.1:4002");
    let b = Pacer::shared(5, dir.path(), "127.0.0.1:4002");
    let elsewhere = Pacer::shared(5, dir.path(), "127.0.0.1:4999");
    assert_eq!(a.try_now(3), Ok(()));
    assert!(b.try_now(3).is_err(), "3 + 3 is over the shared 5");
    assert_eq!(b.try_now(2), Ok(()));
    assert_eq!(elsewhere.try_now(5), Ok(()));
    let stats = b.stats();
    assert_eq!(stats.in_window, 5);
    assert!(stats.shared.is_some() && stats.problem.is_none());
    assert!(stats.describe().contains("budget 5/s"), "{}", stats.describe());
}

#[test]
fn an_unusable_runtime_folder_paces_alone_and_says_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").expect("write");
    let pacer = Pacer::shared(5, &file, "127.0.0.1:4002");
    assert_eq!(pacer.try_now(5), Ok(()));
    assert!(pacer.try_now(1).is_err());
    let stats = pacer.stats();
    assert!(stats.shared.is_none());
    assert!(stats.problem.as_deref().is_some_and(|p| p.contains("cannot share")), "{stats:?}");
    assert!(stats.describe().contains("this process only"));
}

#[test]
fn a_lock_left_by_a_killed_process_does_not_block_the_others() {
    // Another process (Python, which the text-dialect tests need anyway) takes the window's
    // lock and is killed while holding it.
    let dir = tempfile::tempdir().expect("temp dir");
    let pacer = Pacer::shared(5, dir.path(), "127.0.0.1:4002");
    let path = pacer.stats().shared.expect("shared");
    let script = "import fcntl,sys,time\nf=open(sys.argv[1],'r+')\nfcntl.flock(f,fcntl.LOCK_EX)\ntime.sleep(30)";
    let Ok(mut holder) = std::process::Command::new("python3").args(["-c", script]).arg(&path).spawn() else {
        eprintln!("skipped: no python3 here");
        return;
    };
    // Wait until the holder has the lock: our sends fall back to this process's own log.
    let held = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        pacer.try_now(0).is_ok() && pacer.stats().problem.is_some()
    });
    assert!(held, "the other process never took the lock");
    holder.kill().expect("kill");
    holder.wait().expect("reap");
    assert_eq!(pacer.try_now(1), Ok(()));
    assert_eq!(pacer.stats().problem, None, "the shared window is usable again");
    let other = Pacer::shared(5, dir.path(), "127.0.0.1:4002");
    assert_eq!(other.stats().in_window, 1, "and shared again");
}
