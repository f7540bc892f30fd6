//! Latency summaries and process CPU time, shared by the bench binaries.

use std::time::Duration;

/// calls/s, p50 and p99 of one measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub calls: usize,
    pub seconds: f64,
    pub calls_per_s: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// Process CPU time (user + system) divided by calls.
    pub cpu_us_per_call: f64,
}

impl Summary {
    pub fn new(mut latencies: Vec<Duration>, wall: Duration, cpu: Duration) -> Summary {
        latencies.sort_unstable();
        let calls = latencies.len();
        let seconds = wall.as_secs_f64();
        Summary {
            calls,
            seconds,
            calls_per_s: if seconds > 0.0 { calls as f64 / seconds } else { 0.0 },
            p50_us: percentile_us(&latencies, 0.50),
            p99_us: percentile_us(&latencies, 0.99),
            cpu_us_per_call: if calls > 0 { cpu.as_secs_f64() * 1e6 / calls as f64 } else { 0.0 },
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "calls": self.calls,
            "seconds": self.seconds,
            "calls_per_s": self.calls_per_s,
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "cpu_us_per_call": self.cpu_us_per_call,
        })
    }
}

/// Nearest-rank percentile of sorted latencies, in microseconds.
pub fn percentile_us(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e6
}

/// User plus system CPU time this process has used so far.
pub fn process_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the `rusage` buffer we own; on failure we don't read it.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return Duration::ZERO;
        }
        usage.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile_us(&sorted, 0.50), 50.0);
        assert_eq!(percentile_us(&sorted, 0.99), 99.0);
        assert_eq!(percentile_us(&[], 0.5), 0.0);
    }

    #[test]
    fn cpu_time_grows_while_working() {
        let before = process_cpu();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(process_cpu() > before);
    }
}
