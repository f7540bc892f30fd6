//! Small statistics shared by rollups, improvements and usage.

/// Arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() { None } else { Some(values.iter().sum::<f64>() / values.len() as f64) }
}

/// The nearest-rank percentile: the ⌈p/100·n⌉-th smallest value (at least the 1st).
/// The rank is computed with integers, so `p95` of 20 values is exactly the 19th.
pub fn nearest_rank(values: &[f64], percent: u32) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as u64;
    let rank = (u64::from(percent) * n).div_ceil(100).clamp(1, n);
    Some(sorted[(rank - 1) as usize])
}

/// The 95th percentile by nearest rank (`docs/server.md`).
pub fn p95(values: &[f64]) -> Option<f64> {
    nearest_rank(values, 95)
}

/// The median; the mean of the two middle values for an even count.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_median_percentiles() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(p95(&[]), None);
        assert_eq!(p95(&[7.0]), Some(7.0));
        assert_eq!(nearest_rank(&[3.0, 1.0, 2.0, 4.0], 50), Some(2.0));
        assert_eq!(nearest_rank(&[3.0, 1.0, 2.0, 4.0], 0), Some(1.0));
        assert_eq!(nearest_rank(&[3.0, 1.0, 2.0, 4.0], 100), Some(4.0));
    }
}
