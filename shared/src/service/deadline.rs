//! How long the request has left: the Lambda invocation's deadline, which the handler sets for the
//! service while it runs ([`within`]). A failover begins only when the time left covers it: the
//! next provider's call and the record's write must end before the function is stopped, or a
//! code would go out with no record to check it against.

use std::time::{Duration, Instant};

tokio::task_local! {
    static DEADLINE: Instant;
}

/// The time a failover needs: the slowest next provider (Vonage's resend: start, cancel and start
/// again, 3 s each as deployed) and two DynamoDB calls (the reservation moved or a new one, and the
/// record), 4 s each at most. The deployment test holds the functions' timeout to it.
pub const FAILOVER_NEEDS: Duration = Duration::from_secs(17);

/// Where no deadline is known (the local server, the tests): failovers begin within this long of
/// the send's start.
pub const FAILOVER_WITHIN: Duration = Duration::from_secs(10);

/// Runs `request` with `deadline` as the request's deadline, where there is one.
pub async fn within<F: std::future::Future>(deadline: Option<Instant>, request: F) -> F::Output {
    match deadline {
        Some(deadline) => DEADLINE.scope(deadline, request).await,
        None => request.await,
    }
}

/// The deadline of an invocation whose Lambda context says `deadline_ms` (milliseconds since the
/// epoch), as an instant of this process's clock.
pub fn from_epoch_millis(deadline_ms: u64) -> Option<Instant> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?;
    let left = Duration::from_millis(deadline_ms).checked_sub(now)?;
    Some(Instant::now() + left)
}

/// Whether a failover may begin now, in a send that began at `started`.
pub fn failover_in_time(started: Instant) -> bool {
    match DEADLINE.try_with(|deadline| deadline.saturating_duration_since(Instant::now())) {
        Ok(left) => left >= FAILOVER_NEEDS,
        Err(_) => started.elapsed() < FAILOVER_WITHIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failover_begins_only_while_the_deadline_leaves_it_time() {
        let started = Instant::now();
        assert!(failover_in_time(started), "no deadline: within FAILOVER_WITHIN of the start");
        assert!(!failover_in_time(started - FAILOVER_WITHIN), "no deadline, too late");
        let far = Instant::now() + FAILOVER_NEEDS + Duration::from_secs(1);
        assert!(within(Some(far), async { failover_in_time(started) }).await);
        let near = Instant::now() + FAILOVER_NEEDS - Duration::from_secs(1);
        assert!(!within(Some(near), async { failover_in_time(started) }).await);
        let in_25_s =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap() + Duration::from_secs(25);
        let deadline = from_epoch_millis(u64::try_from(in_25_s.as_millis()).unwrap()).unwrap();
        assert!(deadline > Instant::now() + Duration::from_secs(24));
        assert_eq!(from_epoch_millis(0), None, "passed");
    }
}
