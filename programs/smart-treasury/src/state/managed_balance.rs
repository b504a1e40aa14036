use crate::{
    constants::{MAX_SOURCES, NAME_LEN},
    error::{policy, TreasuryError},
    state::{MovedWindow, TransferFeeLimit},
};
use anchor_lang::prelude::*;
use smart_treasury_policy::{
    check_cooldown, validate_priorities, AutomationLimits, RollingWindow, SourceLink, Thresholds,
};

/// How the balance is kept.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub enum BalanceMode {
    /// Between `min` and `max`, restored to `target` (top-up and sweep).
    #[default]
    Threshold,
    /// A share of the combined total with the counterpart (the first live enabled
    /// funding source), moved back to the ratio once it drifts past the band (rebalance).
    Ratio { ratio_bps: u16, band_bps: u16 },
}

impl From<BalanceMode> for smart_treasury_policy::BalanceMode {
    fn from(mode: BalanceMode) -> Self {
        match mode {
            BalanceMode::Threshold => Self::Threshold,
            BalanceMode::Ratio { ratio_bps, band_bps } => Self::Ratio { ratio_bps, band_bps },
        }
    }
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
// The IDL build takes the type's description from the derive; the program writes the
// same bytes by hand (below).
#[cfg_attr(feature = "idl-build", derive(AnchorSerialize))]
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
    /// A venue the authority allowed to take returned funds (sweeps, ratio pushes).
    /// Pool vaults always may; a venue, a third party's account, only with this.
    pub returns_allowed: bool,
}

impl FundingSource {
    /// The link as the policy reads it.
    pub fn link(&self) -> SourceLink<Pubkey> {
        SourceLink {
            priority: self.priority,
            enabled: self.enabled,
            reserve_floor: self.reserve_floor,
            pool: self.pool,
            is_pool_vault: self.kind == AccountKind::PoolVault,
            returns_allowed: self.returns_allowed,
        }
    }
}

/// Borsh's layout written in one block, as it is read.
#[cfg(not(feature = "idl-build"))]
impl AnchorSerialize for FundingSource {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        let mut bytes = [0u8; FundingSource::INIT_SPACE];
        bytes[..32].copy_from_slice(self.token_account.as_ref());
        bytes[32..64].copy_from_slice(self.pool.as_ref());
        bytes[64] = match self.kind {
            AccountKind::PoolVault => 0,
            AccountKind::Venue => 1,
        };
        bytes[65] = self.priority;
        bytes[66] = u8::from(self.enabled);
        bytes[67..75].copy_from_slice(&self.reserve_floor.to_le_bytes());
        bytes[75] = u8::from(self.returns_allowed);
        writer.write_all(&bytes)
    }
}

/// Borsh's layout read in one block: read field by field, the eight sources took over
/// half of a managed balance's deserialization on SBF. Rejects what borsh rejects.
impl AnchorDeserialize for FundingSource {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        let mut bytes = [0u8; FundingSource::INIT_SPACE];
        reader.read_exact(&mut bytes)?;
        let invalid = |what| borsh::io::Error::new(borsh::io::ErrorKind::InvalidData, what);
        let key = |at: usize| Pubkey::new_from_array(bytes[at..at + 32].try_into().expect("32 bytes"));
        let flag = |at: usize| match bytes[at] {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(invalid("bool")),
        };
        let kind = match bytes[64] {
            0 => AccountKind::PoolVault,
            1 => AccountKind::Venue,
            _ => return Err(invalid("AccountKind")),
        };
        Ok(Self {
            token_account: key(0),
            pool: key(32),
            kind,
            priority: bytes[65],
            enabled: flag(66)?,
            reserve_floor: u64::from_le_bytes(bytes[67..75].try_into().expect("8 bytes")),
            returns_allowed: flag(75)?,
        })
    }
}

/// Rate limits and the forecast band for automatic movements.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct AutomationSettings {
    /// Seconds between two automatic movements.
    pub cooldown_seconds: u32,
    /// Length of the rolling rate-limit window.
    pub period_seconds: u32,
    /// What automation may move in any window of `period_seconds`.
    pub period_cap: u64,
    /// Automatic top-ups are allowed below `min + band * (target - min)`.
    pub forecast_band_bps: u16,
}

impl From<AutomationSettings> for AutomationLimits {
    fn from(settings: AutomationSettings) -> Self {
        Self {
            cooldown_seconds: settings.cooldown_seconds,
            period_seconds: settings.period_seconds,
            period_cap: settings.period_cap,
            forecast_band_bps: settings.forecast_band_bps,
        }
    }
}

impl AutomationSettings {
    pub fn validate(&self) -> Result<()> {
        policy(AutomationLimits::from(*self).validate())
    }
}

/// One balance (a pool vault or a venue account, one mint) kept inside its band.
/// Seeds: `["managed_balance", treasury, id (u32 LE)]`. Layout version 2.
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
    /// The highest transfer fee the authority accepts (Token-2022 transfer-fee mints):
    /// the mint's fee at creation unless the authority set another. Movements refuse a
    /// higher one.
    pub accepted_transfer_fee: TransferFeeLimit,
    /// What automation moved in the last `automation.period_seconds`.
    pub moved: MovedWindow,
    /// Unix seconds of the last automatic movement (0 = never).
    pub last_automation_at: i64,
    pub last_automation_slot: u64,
    /// Bumped on every change; cranks name the version they were built on. The high
    /// 32 bits count the treasury's managed balances at creation, so a balance
    /// re-created at a closed one's address never repeats its versions.
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
        policy(smart_treasury_policy::BalanceMode::from(self.mode).validate())?;
        policy(smart_treasury_policy::validate_bps(self.accepted_transfer_fee.basis_points))?;
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

    /// The low 32 bits count changes; they never wrap into the next balance's range.
    pub fn bump_config_version(&mut self) -> Result<()> {
        require!(self.config_version & u64::from(u32::MAX) != u64::from(u32::MAX), TreasuryError::MathOverflow);
        self.config_version += 1;
        Ok(())
    }

    /// Rejects a transaction built on settings that have since changed.
    pub fn check_config_version(&self, expected: u64) -> Result<()> {
        require_eq!(self.config_version, expected, TreasuryError::StaleConfigVersion);
        Ok(())
    }

    fn moved_window(&self) -> RollingWindow {
        self.moved.into()
    }

    /// What automation moved in the rolling period ending at `now`.
    pub fn moved_in_period(&self, now: i64) -> u64 {
        self.moved_window().moved(now, self.automation.period_seconds)
    }

    /// Checks that automation may act at `now` (enabled, cooldown over) and returns
    /// what it may still move in the rolling period.
    pub fn begin_automation(&self, now: i64) -> Result<u64> {
        require!(self.enabled, TreasuryError::ManagedBalanceDisabled);
        policy(check_cooldown(self.last_automation_at, self.automation.cooldown_seconds, now))?;
        let settings = &self.automation;
        Ok(self.moved_window().remaining(now, settings.period_seconds, settings.period_cap))
    }

    pub fn record_automation(&mut self, moved: u64, now: i64, slot: u64) -> Result<()> {
        let mut window = self.moved_window();
        policy(window.record(moved, now, self.automation.period_seconds))?;
        self.moved = window.into();
        self.last_automation_at = now;
        self.last_automation_slot = slot;
        Ok(())
    }

    /// New automation settings at `now`: a new period length keeps what the old window
    /// still counts.
    pub fn set_automation(&mut self, automation: AutomationSettings, now: i64) {
        let mut window = self.moved_window();
        if automation.period_seconds != self.automation.period_seconds {
            window.restart(now, self.automation.period_seconds, automation.period_seconds);
        }
        self.moved = window.into();
        self.automation = automation;
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
        FundingSource {
            token_account,
            pool,
            kind,
            priority: 7,
            enabled,
            reserve_floor: u64::MAX - 3,
            returns_allowed: enabled,
        }
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
        for (at, value) in [(64, 2), (66, 2), (75, 2)] {
            let mut bad = bytes.clone();
            bad[at] = value;
            assert!(FundingSource::deserialize(&mut &bad[..]).is_err(), "byte {at} = {value}");
        }
        assert!(FundingSource::deserialize(&mut &bytes[..bytes.len() - 1]).is_err());
    }
}
