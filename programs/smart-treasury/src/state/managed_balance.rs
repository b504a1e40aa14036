use crate::{
    constants::{MAX_COOLDOWN_SECONDS, MAX_PERIOD_SECONDS, MAX_SOURCES, NAME_LEN},
    error::{policy, TreasuryError},
};
use anchor_lang::prelude::*;
use smart_treasury_policy::{validate_bps, validate_priorities, validate_ratio, Thresholds};

/// How the balance is kept.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub enum BalanceMode {
    /// Between `min` and `max`, restored to `target` (top-up and sweep).
    #[default]
    Threshold,
    /// A share of the combined total with the counterpart (the priority-1 source),
    /// moved back to the ratio once it drifts past the band (rebalance).
    Ratio { ratio_bps: u16, band_bps: u16 },
}

/// Whose token account it is.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub enum AccountKind {
    /// Owned by a pool of this treasury.
    #[default]
    PoolVault,
    /// Owned by someone else (an exchange deposit account, a partner); the program
    /// pushes into it, and pulls only what its owner delegated to the pool.
    Venue,
}

/// Where a top-up comes from.
#[derive(AnchorSerialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct FundingSource {
    pub token_account: Pubkey,
    /// The pool whose PDA signs pulls: the vault's owner, or the venue's delegate.
    pub pool: Pubkey,
    pub kind: AccountKind,
    /// 1 is drawn first; unique within a managed balance.
    pub priority: u8,
    pub enabled: bool,
    /// Never drawn below this.
    pub reserve_floor: u64,
}

/// Borsh's layout read in one block: read field by field, the eight sources took over
/// half of a managed balance's deserialization on SBF. Rejects what borsh rejects.
impl AnchorDeserialize for FundingSource {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        let mut bytes = [0u8; FundingSource::INIT_SPACE];
        reader.read_exact(&mut bytes)?;
        let invalid = |what| borsh::io::Error::new(borsh::io::ErrorKind::InvalidData, what);
        let key = |at: usize| Pubkey::new_from_array(bytes[at..at + 32].try_into().expect("32 bytes"));
        let kind = match bytes[64] {
            0 => AccountKind::PoolVault,
            1 => AccountKind::Venue,
            _ => return Err(invalid("AccountKind")),
        };
        let enabled = match bytes[66] {
            0 => false,
            1 => true,
            _ => return Err(invalid("bool")),
        };
        Ok(Self {
            token_account: key(0),
            pool: key(32),
            kind,
            priority: bytes[65],
            enabled,
            reserve_floor: u64::from_le_bytes(bytes[67..75].try_into().expect("8 bytes")),
        })
    }
}

/// Rate limits and the forecast band for automatic movements.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct AutomationSettings {
    /// Seconds between two automatic movements.
    pub cooldown_seconds: u32,
    /// Length of the rate-limit period.
    pub period_seconds: u32,
    /// What automation may move per period.
    pub period_cap: u64,
    /// Forecast top-ups are allowed below `min + band * (target - min)`.
    pub forecast_band_bps: u16,
}

impl AutomationSettings {
    pub fn validate(&self) -> Result<()> {
        require!(self.cooldown_seconds <= MAX_COOLDOWN_SECONDS, TreasuryError::InvalidCooldown);
        require!(
            self.period_seconds >= 1 && self.period_seconds <= MAX_PERIOD_SECONDS && self.period_cap > 0,
            TreasuryError::InvalidRateLimit
        );
        policy(validate_bps(self.forecast_band_bps))
    }
}

/// One balance (a pool vault or a venue account, one mint) kept inside its band.
/// Seeds: `["managed_balance", treasury, id (u32 LE)]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct ManagedBalance {
    pub layout_version: u8,
    pub bump: u8,
    pub treasury: Pubkey,
    pub id: u32,
    pub name: [u8; NAME_LEN],
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub decimals: u8,
    pub destination: Pubkey,
    pub destination_kind: AccountKind,
    /// The pool that signs moves out of the destination (sweep, ratio push): its
    /// owner for a vault, its delegate for a venue.
    pub destination_pool: Pubkey,
    pub min: u64,
    pub target: u64,
    pub max: u64,
    pub enabled: bool,
    pub mode: BalanceMode,
    pub automation: AutomationSettings,
    /// Start of the current rate-limit period (unix seconds).
    pub period_start: i64,
    /// What automation moved in the current period.
    pub moved_in_period: u64,
    /// Unix seconds of the last automatic movement (0 = never).
    pub last_automation_at: i64,
    pub last_automation_slot: u64,
    /// Bumped on every change; cranks name the version they were built on.
    pub config_version: u64,
    pub source_count: u8,
    /// Sorted by ascending priority; the first `source_count` are linked.
    pub sources: [FundingSource; MAX_SOURCES],
    pub reserved: [u8; 64],
}

impl ManagedBalance {
    pub fn thresholds(&self) -> Thresholds {
        Thresholds { min: self.min, target: self.target, max: self.max }
    }

    pub fn linked_sources(&self) -> &[FundingSource] {
        &self.sources[..usize::from(self.source_count)]
    }

    pub fn enabled_sources(&self) -> impl Iterator<Item = &FundingSource> {
        self.linked_sources().iter().filter(|source| source.enabled)
    }

    pub fn id_bytes(&self) -> [u8; 4] {
        self.id.to_le_bytes()
    }

    /// Holds after every instruction that changes this account.
    pub fn invariant(&self) -> Result<()> {
        policy(self.thresholds().validate())?;
        self.automation.validate()?;
        if let BalanceMode::Ratio { ratio_bps, band_bps } = self.mode {
            policy(validate_ratio(ratio_bps, band_bps))?;
        }
        require!(usize::from(self.source_count) <= MAX_SOURCES, TreasuryError::TooManySources);
        let sources = self.linked_sources();
        let priorities: Vec<u8> = sources.iter().map(|source| source.priority).collect();
        policy(validate_priorities(&priorities))?;
        require!(priorities.windows(2).all(|pair| pair[0] < pair[1]), TreasuryError::DuplicatePriority);
        for (i, source) in sources.iter().enumerate() {
            require_keys_neq!(source.token_account, self.destination, TreasuryError::SourceIsDestination);
            require!(
                sources[..i].iter().all(|other| other.token_account != source.token_account),
                TreasuryError::SourceAlreadyLinked
            );
        }
        Ok(())
    }

    pub fn bump_config_version(&mut self) -> Result<()> {
        self.config_version = self.config_version.checked_add(1).ok_or(TreasuryError::MathOverflow)?;
        Ok(())
    }

    /// Rejects a crank built on settings that have since changed.
    pub fn check_config_version(&self, expected: u64) -> Result<()> {
        require_eq!(self.config_version, expected, TreasuryError::StaleConfigVersion);
        Ok(())
    }

    /// Rolls the rate-limit period and checks the cooldown; returns what automation
    /// may still move this period.
    pub fn begin_automation(&mut self, now: i64) -> Result<u64> {
        require!(self.enabled, TreasuryError::ManagedBalanceDisabled);
        if self.last_automation_at != 0 {
            let ready_at = self.last_automation_at.saturating_add(i64::from(self.automation.cooldown_seconds));
            require!(now >= ready_at, TreasuryError::CooldownActive);
        }
        if now >= self.period_start.saturating_add(i64::from(self.automation.period_seconds)) {
            self.period_start = now;
            self.moved_in_period = 0;
        }
        Ok(self.automation.period_cap.saturating_sub(self.moved_in_period))
    }

    pub fn record_automation(&mut self, moved: u64, now: i64, slot: u64) -> Result<()> {
        self.moved_in_period = self.moved_in_period.checked_add(moved).ok_or(TreasuryError::MathOverflow)?;
        self.last_automation_at = now;
        self.last_automation_slot = slot;
        Ok(())
    }

    /// Inserts a source keeping the list sorted by priority.
    pub fn insert_source(&mut self, source: FundingSource) -> Result<()> {
        let count = usize::from(self.source_count);
        require!(count < MAX_SOURCES, TreasuryError::TooManySources);
        require!(
            self.linked_sources().iter().all(|linked| linked.token_account != source.token_account),
            TreasuryError::SourceAlreadyLinked
        );
        require!(
            source.priority > 0 && self.linked_sources().iter().all(|linked| linked.priority != source.priority),
            TreasuryError::DuplicatePriority
        );
        let position =
            self.linked_sources().iter().position(|linked| linked.priority > source.priority).unwrap_or(count);
        self.sources.copy_within(position..count, position + 1);
        self.sources[position] = source;
        self.source_count += 1;
        Ok(())
    }

    /// Removes and returns the source linked at `token_account`.
    pub fn remove_source(&mut self, token_account: &Pubkey) -> Result<FundingSource> {
        let count = usize::from(self.source_count);
        let position = self.source_position(token_account)?;
        let removed = self.sources[position];
        self.sources.copy_within(position + 1..count, position);
        self.sources[count - 1] = FundingSource::default();
        self.source_count -= 1;
        Ok(removed)
    }

    pub fn source_position(&self, token_account: &Pubkey) -> Result<usize> {
        self.linked_sources()
            .iter()
            .position(|linked| &linked.token_account == token_account)
            .ok_or_else(|| error!(TreasuryError::SourceNotFound))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(kind: AccountKind, enabled: bool) -> FundingSource {
        let (token_account, pool) = (Pubkey::new_unique(), Pubkey::new_unique());
        FundingSource { token_account, pool, kind, priority: 7, enabled, reserve_floor: u64::MAX - 3 }
    }

    #[test]
    fn funding_source_reads_what_borsh_writes() {
        for original in
            [source(AccountKind::Venue, true), source(AccountKind::PoolVault, false), FundingSource::default()]
        {
            let bytes = borsh::to_vec(&original).unwrap();
            assert_eq!(bytes.len(), FundingSource::INIT_SPACE);
            let mut rest = &bytes[..];
            assert_eq!(FundingSource::deserialize(&mut rest).unwrap(), original);
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn funding_source_rejects_what_borsh_rejects() {
        let bytes = borsh::to_vec(&source(AccountKind::Venue, true)).unwrap();
        for (at, value) in [(64, 2), (66, 2)] {
            let mut bad = bytes.clone();
            bad[at] = value;
            assert!(FundingSource::deserialize(&mut &bad[..]).is_err(), "byte {at} = {value}");
        }
        assert!(FundingSource::deserialize(&mut &bytes[..bytes.len() - 1]).is_err());
    }
}
