//! Amounts on the wire. Out: the exact decimal in token units beside the base-unit
//! integer (a string, so no JSON reader rounds it). In: either a decimal string in token
//! units (`"50000.25"`) or a JSON integer of base units (`50000250000`); a float is
//! refused, since it cannot say an exact amount.

use serde::{de, Deserialize, Deserializer, Serialize};
use smart_treasury_client::TokenAmount;
use std::fmt;
use utoipa::{
    openapi::{schema::Type, ObjectBuilder, OneOfBuilder, RefOr, Schema},
    PartialSchema, ToSchema,
};

/// An amount as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Amount {
    /// Exact, in token units, using the mint's decimals.
    #[schema(example = "50000.25", pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub tokens: String,
    /// The same amount in base units: an integer, as a string.
    #[schema(example = "50000250000", pattern = r"^[0-9]+$")]
    pub base_units: String,
}

impl Amount {
    pub fn new(base_units: u64, decimals: u8) -> Self {
        Self { tokens: TokenAmount::new(base_units, decimals).decimal(), base_units: base_units.to_string() }
    }
}

/// A signed amount (a movement that lowered a balance is negative).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedAmount {
    #[schema(example = "-120.5", pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub tokens: String,
    #[schema(example = "-120500000", pattern = r"^-?[0-9]+$")]
    pub base_units: String,
}

impl SignedAmount {
    pub fn new(base_units: i128, decimals: u8) -> Self {
        let magnitude = u64::try_from(base_units.unsigned_abs()).unwrap_or(u64::MAX);
        let sign = if base_units < 0 { "-" } else { "" };
        Self {
            tokens: format!("{sign}{}", TokenAmount::new(magnitude, decimals).decimal()),
            base_units: base_units.to_string(),
        }
    }
}

/// An amount as a client writes it, not yet tied to a mint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountInput {
    Tokens(String),
    BaseUnits(u64),
}

impl AmountInput {
    /// The amount in base units of a mint with `decimals`, or what is wrong with it.
    pub fn base_units(&self, decimals: u8) -> Result<u64, String> {
        match self {
            Self::BaseUnits(units) => Ok(*units),
            Self::Tokens(text) => TokenAmount::parse(text, decimals)
                .map(|amount| amount.base_units)
                .map_err(|error| format!("{error}; or send an integer of base units")),
        }
    }
}

impl<'de> Deserialize<'de> for AmountInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = AmountInput;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal string in token units (\"1250.5\") or an integer of base units")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<AmountInput, E> {
                Ok(AmountInput::Tokens(text.to_string()))
            }

            fn visit_u64<E: de::Error>(self, units: u64) -> Result<AmountInput, E> {
                Ok(AmountInput::BaseUnits(units))
            }

            fn visit_i64<E: de::Error>(self, units: i64) -> Result<AmountInput, E> {
                u64::try_from(units)
                    .map(AmountInput::BaseUnits)
                    .map_err(|_| E::custom(format!("{units} is negative: amounts are 0 or more")))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<AmountInput, E> {
                Err(E::custom(format!(
                    "{value} is a float (or too large an integer): send a decimal string in token units \
                     (\"1250.5\") or an integer of base units"
                )))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl PartialSchema for AmountInput {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^[0-9]+(\.[0-9]+)?$"))
                    .description(Some("Token units, exact: \"50000.25\"")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .maximum(Some(u64::MAX as f64))
                    .description(Some("Base units")),
            )
            .description(Some("A decimal string in token units, or an integer of base units; never a float"))
            .into()
    }
}

impl ToSchema for AmountInput {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_token_units_beside_base_units() {
        let amount = Amount::new(50_000_250_000, 6);
        assert_eq!((amount.tokens.as_str(), amount.base_units.as_str()), ("50000.25", "50000250000"));
        let json = serde_json::to_value(&amount).unwrap();
        assert_eq!(json, serde_json::json!({"tokens": "50000.25", "baseUnits": "50000250000"}));
        assert_eq!(SignedAmount::new(-120_500_000, 6).tokens, "-120.5");
        assert_eq!(SignedAmount::new(7, 0).base_units, "7");
    }

    #[test]
    fn accepts_token_strings_and_base_integers_but_never_floats() {
        let parse = |json: &str| serde_json::from_str::<AmountInput>(json);
        assert_eq!(parse("\"12.5\"").unwrap().base_units(6), Ok(12_500_000));
        assert_eq!(parse("12500000").unwrap().base_units(6), Ok(12_500_000));
        assert!(parse("12.5").unwrap_err().to_string().contains("float"));
        assert!(parse("-3").unwrap_err().to_string().contains("negative"));
        assert!(parse("true").is_err());
        assert!(parse("\"1.0000001\"").unwrap().base_units(6).unwrap_err().contains("decimal places"));
        assert!(parse("\"abc\"").unwrap().base_units(6).is_err());
    }
}
