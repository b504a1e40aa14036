use crate::constants::{MAX_KEEPERS, TREASURY_SEED};
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
    pub reserved: [u8; 64],
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
        self.config_version = self.config_version.checked_add(1).ok_or(crate::error::TreasuryError::MathOverflow)?;
        Ok(())
    }
}
