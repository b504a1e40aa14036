use crate::{
    constants::{MAX_KEEPERS, TREASURY_SEED},
    error::TreasuryError,
};
use anchor_lang::prelude::*;

/// Who may send crank transactions.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub enum CrankAccess {
    /// Anyone may crank; the rules on-chain decide what moves.
    #[default]
    Permissionless,
    /// Only keys on the keeper allow-list.
    AllowList,
}

/// One organisation's pools and rules, governed by one authority.
/// Seeds: `["treasury", create_key]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Treasury {
    pub layout_version: u8,
    pub bump: u8,
    /// One-time key that makes the address unique; signs creation so nobody can squat it.
    pub create_key: Pubkey,
    /// Governs everything: a DAO governance PDA, a multisig vault or a plain key.
    pub authority: Pubkey,
    /// Proposed new authority; it takes over once it signs `accept_authority`.
    pub pending_authority: Option<Pubkey>,
    /// May pause, nothing else.
    pub guardian: Pubkey,
    pub paused: bool,
    pub crank_access: CrankAccess,
    pub keeper_count: u8,
    pub keepers: [Pubkey; MAX_KEEPERS],
    /// Bumped on every treasury-level change.
    pub config_version: u64,
    /// Managed balances ever created: each one's config versions start from this
    /// count, so a balance re-created at a closed one's address never repeats them.
    /// Taken from the reserved bytes (zero before), so the layout stays version 1.
    pub managed_balances_created: u64,
    pub reserved: [u8; 56],
}

impl Treasury {
    pub fn signer_seeds(&self) -> [&[u8]; 3] {
        [TREASURY_SEED, self.create_key.as_ref(), core::slice::from_ref(&self.bump)]
    }

    pub fn active_keepers(&self) -> &[Pubkey] {
        &self.keepers[..usize::from(self.keeper_count)]
    }

    pub fn may_crank(&self, keeper: &Pubkey) -> bool {
        match self.crank_access {
            CrankAccess::Permissionless => true,
            CrankAccess::AllowList => self.active_keepers().contains(keeper),
        }
    }

    pub fn bump_config_version(&mut self) -> Result<()> {
        self.config_version = self.config_version.checked_add(1).ok_or(TreasuryError::MathOverflow)?;
        Ok(())
    }

    /// Rejects an authority change built on treasury settings that have since changed.
    pub fn check_config_version(&self, expected: u64) -> Result<()> {
        require_eq!(self.config_version, expected, TreasuryError::StaleTreasuryConfig);
        Ok(())
    }

    /// Counts a new managed balance and returns its first config version: the count in
    /// the high 32 bits, 1 in the low ones (`ManagedBalance::bump_config_version`).
    pub fn next_managed_balance_version(&mut self) -> Result<u64> {
        let created = self.managed_balances_created.checked_add(1).ok_or(TreasuryError::MathOverflow)?;
        require!(created < 1 << 32, TreasuryError::MathOverflow);
        self.managed_balances_created = created;
        Ok(created << 32 | 1)
    }
}
