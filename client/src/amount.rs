//! Token amounts as operators read and write them: exact decimal strings in token units
//! (`"50000.25"` for 50,000,250,000 base units of a 6-decimal mint), never a float.

use std::fmt;

/// An amount of one mint: base units and the mint's decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenAmount {
    pub base_units: u64,
    pub decimals: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("{text:?} is not an amount: write digits with at most one decimal point, e.g. \"1250.5\"")]
    Malformed { text: String },
    #[error("{text:?} has {given} decimal places; this mint has {decimals}")]
    TooPrecise { text: String, given: usize, decimals: u8 },
    #[error("{text:?} is larger than the largest amount a token account can hold")]
    TooLarge { text: String },
    #[error("a mint with {decimals} decimals is outside what an amount can express (at most 19)")]
    Decimals { decimals: u8 },
}

/// u64 holds 19 full decimal digits, so a mint with more decimals has no whole token.
const MAX_DECIMALS: u8 = 19;

impl TokenAmount {
    pub fn new(base_units: u64, decimals: u8) -> Self {
        Self { base_units, decimals }
    }

    /// Parses token units (`"50000.25"`, `"7"`, `"0.000001"`) for a mint with `decimals`.
    pub fn parse(text: &str, decimals: u8) -> Result<Self, AmountError> {
        if decimals > MAX_DECIMALS {
            return Err(AmountError::Decimals { decimals });
        }
        let malformed = || AmountError::Malformed { text: text.to_string() };
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (text, ""),
        };
        let digits_only = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || text.ends_with('.') {
            return Err(malformed());
        }
        let significant_fraction = fraction.trim_end_matches('0');
        if significant_fraction.len() > usize::from(decimals) {
            return Err(AmountError::TooPrecise {
                text: text.to_string(),
                given: significant_fraction.len(),
                decimals,
            });
        }
        let too_large = || AmountError::TooLarge { text: text.to_string() };
        let scale = 10u64.checked_pow(u32::from(decimals)).ok_or_else(too_large)?;
        let whole_units = whole.trim_start_matches('0').parse::<u64>().or_else(|_| {
            if whole.bytes().all(|byte| byte == b'0') {
                Ok(0)
            } else {
                Err(too_large())
            }
        })?;
        let padded = format!("{significant_fraction:0<width$}", width = usize::from(decimals));
        let fraction_units = if padded.is_empty() { 0 } else { padded.parse::<u64>().map_err(|_| malformed())? };
        let base_units =
            whole_units.checked_mul(scale).and_then(|units| units.checked_add(fraction_units)).ok_or_else(too_large)?;
        Ok(Self { base_units, decimals })
    }

    /// The exact amount in token units, without trailing zeros: `"50000.25"`, `"0"`.
    pub fn decimal(&self) -> String {
        let (whole, fraction) = self.split();
        if fraction.is_empty() {
            whole
        } else {
            format!("{whole}.{fraction}")
        }
    }

    /// The same, with thousands grouped for people: `"50,000.25"`.
    pub fn grouped(&self) -> String {
        let (whole, fraction) = self.split();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if fraction.is_empty() {
            grouped
        } else {
            format!("{grouped}.{fraction}")
        }
    }

    /// Whole units and the significant fraction digits, as text.
    fn split(&self) -> (String, String) {
        let digits = self.base_units.to_string();
        let decimals = usize::from(self.decimals);
        let padded = format!("{digits:0>width$}", width = decimals + 1);
        let (whole, fraction) = padded.split_at(padded.len() - decimals);
        (whole.to_string(), fraction.trim_end_matches('0').to_string())
    }
}

impl fmt::Display for TokenAmount {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.decimal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_exactly() {
        assert_eq!(TokenAmount::new(50_000_250_000, 6).decimal(), "50000.25");
        assert_eq!(TokenAmount::new(0, 6).decimal(), "0");
        assert_eq!(TokenAmount::new(1, 6).decimal(), "0.000001");
        assert_eq!(TokenAmount::new(7, 0).decimal(), "7");
        assert_eq!(TokenAmount::new(u64::MAX, 19).decimal(), "1.8446744073709551615");
        assert_eq!(TokenAmount::new(u64::MAX, 0).decimal(), "18446744073709551615");
    }

    #[test]
    fn groups_thousands_for_people() {
        assert_eq!(TokenAmount::new(3_012_550_000, 6).grouped(), "3,012.55");
        assert_eq!(TokenAmount::new(50_000_250_000, 6).grouped(), "50,000.25");
        assert_eq!(TokenAmount::new(999_000_000, 6).grouped(), "999");
        assert_eq!(TokenAmount::new(1_234_567_000_000, 6).grouped(), "1,234,567");
        assert_eq!(TokenAmount::new(5, 6).grouped(), "0.000005");
    }

    #[test]
    fn parses_token_units() {
        let parse = |text| TokenAmount::parse(text, 6).map(|amount| amount.base_units);
        assert_eq!(parse("50000.25"), Ok(50_000_250_000));
        assert_eq!(parse("7"), Ok(7_000_000));
        assert_eq!(parse("0.000001"), Ok(1));
        assert_eq!(parse("0007.500000"), Ok(7_500_000));
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("18446744073709.551615"), Ok(u64::MAX));
        assert_eq!(TokenAmount::parse("18446744073709551615", 0).map(|a| a.base_units), Ok(u64::MAX));
    }

    #[test]
    fn refuses_what_is_not_an_exact_amount() {
        for text in ["", ".", "1.", ".5", "-1", "+1", "1e6", "1,000", "1.2.3", " 1", "1 ", "NaN", "0x10"] {
            assert!(
                matches!(TokenAmount::parse(text, 6), Err(AmountError::Malformed { .. })),
                "{text:?} should be malformed"
            );
        }
        assert!(matches!(
            TokenAmount::parse("1.0000001", 6),
            Err(AmountError::TooPrecise { given: 7, decimals: 6, .. })
        ));
        assert!(matches!(TokenAmount::parse("18446744073709.551616", 6), Err(AmountError::TooLarge { .. })));
        assert!(matches!(TokenAmount::parse("99999999999999999999999", 6), Err(AmountError::TooLarge { .. })));
        assert!(matches!(TokenAmount::parse("1", 20), Err(AmountError::Decimals { decimals: 20 })));
    }

    #[test]
    fn round_trips() {
        for base_units in [0, 1, 9, 10, 999_999, 1_000_000, 123_456_789, u64::MAX] {
            for decimals in [0, 1, 6, 9, 19] {
                let amount = TokenAmount::new(base_units, decimals);
                assert_eq!(TokenAmount::parse(&amount.decimal(), decimals), Ok(amount));
            }
        }
    }
}
