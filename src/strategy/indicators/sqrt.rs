//! Square root on `Decimal` by Newton's iteration (`rust_decimal` is built without its `maths`
//! feature, so `MathematicalOps::sqrt` is not available).

use rust_decimal::Decimal;

/// The square root of `value`, or `None` for a negative value.
///
/// Newton's iteration `x' = x/2 + (value/x)/2` started at or above the root decreases
/// monotonically towards it; the loop stops when an iteration no longer decreases `x`, which
/// happens once `x` is within rounding of the root (about 1e-27 relative). Halving each term
/// before adding keeps every intermediate inside `Decimal`'s range, even for `Decimal::MAX`.
pub fn sqrt(value: Decimal) -> Option<Decimal> {
    if value.is_sign_negative() && !value.is_zero() {
        return None;
    }
    if value.is_zero() {
        return Some(Decimal::ZERO);
    }
    let two = Decimal::TWO;
    // max(value, 1) is never below the root.
    let mut x = value.max(Decimal::ONE);
    // From value = Decimal::MAX this converges in well under 200 steps.
    for _ in 0..200 {
        let next = x / two + (value / x) / two;
        if next >= x {
            break;
        }
        x = next;
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::d;
    use proptest::prelude::*;

    #[test]
    fn perfect_squares_are_exact() {
        assert_eq!(sqrt(d("4")), Some(d("2")));
        assert_eq!(sqrt(d("1")), Some(d("1")));
        assert_eq!(sqrt(d("0.0001")), Some(d("0.01")));
        assert_eq!(sqrt(d("202500")), Some(d("450")));
    }

    #[test]
    fn zero_and_negative() {
        assert_eq!(sqrt(Decimal::ZERO), Some(Decimal::ZERO));
        assert_eq!(sqrt(d("-0.5")), None);
    }

    #[test]
    fn irrational_roots_square_back_to_the_value() {
        // sqrt(2) = 1.41421356237309504880168872420969807856967...
        let root = sqrt(d("2")).expect("a root");
        assert_eq!(root.round_dp(20), d("1.41421356237309504880"));
        assert!((root * root - d("2")).abs() < d("1e-26"));
        // sqrt(1.6875) = 1.29903810567665797014558...
        let root = sqrt(d("1.6875")).expect("a root");
        assert_eq!(root.round_dp(20), d("1.29903810567665797015"));
    }

    #[test]
    fn the_extremes_do_not_overflow() {
        let root = sqrt(Decimal::MAX).expect("a root");
        // Decimal::MAX = 2^96 - 1, so its root is 2^48 - 2^-49 - ... = 281474976710655.99999999999999822...
        assert_eq!(root.round_dp(6), d("281474976710656"));
        let tiny = sqrt(d("0.0000000000000000000000000001")).expect("a root");
        assert_eq!(tiny.round_dp(14), d("0.00000000000001"));
    }

    proptest! {
        #[test]
        fn squares_back_to_the_value(mantissa in 1i64..i64::MAX, scale in 0u32..=20) {
            let value = Decimal::new(mantissa, scale);
            let root = sqrt(value).expect("a root");
            prop_assert!(root > Decimal::ZERO);
            // Relative error of the square within a few units in the 25th digit.
            let error = ((root * root - value) / value).abs();
            prop_assert!(error < d("1e-24"), "sqrt({}) = {}, error {}", value, root, error);
        }
    }
}
