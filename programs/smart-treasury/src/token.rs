//! Reading token accounts and mints of either token program, and moving tokens with
//! `transfer_checked` while measuring what actually arrived (transfer-fee mints).

use crate::error::TreasuryError;
use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::{
    extension::{BaseStateWithExtensions, ExtensionType, StateWithExtensions},
    state::{Account as SplAccount, AccountState, Mint as SplMint},
};
use anchor_spl::token_interface::{self, TransferChecked};

/// The fields of a token account the rules look at.
#[derive(Clone, Copy, Debug)]
pub struct TokenAccountView {
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub delegate: Option<Pubkey>,
    pub delegated_amount: u64,
    pub frozen: bool,
}

impl TokenAccountView {
    /// Reads `info` as a token account of `token_program` holding `mint`.
    pub fn load(info: &AccountInfo, token_program: &Pubkey, mint: &Pubkey) -> Result<Self> {
        require_keys_eq!(*info.owner, *token_program, TreasuryError::NotATokenAccount);
        let data = info.try_borrow_data()?;
        let state =
            StateWithExtensions::<SplAccount>::unpack(&data).map_err(|_| error!(TreasuryError::NotATokenAccount))?;
        let base = state.base;
        require_keys_eq!(base.mint, *mint, TreasuryError::WrongMint);
        Ok(Self {
            mint: base.mint,
            owner: base.owner,
            amount: base.amount,
            delegate: base.delegate.into(),
            delegated_amount: base.delegated_amount,
            frozen: base.state == AccountState::Frozen,
        })
    }

    /// What `pool` may pull from this account: everything when it owns the account
    /// (`None`), the delegated amount when it is the delegate, nothing otherwise.
    pub fn allowance_for(&self, pool: &Pubkey) -> Option<u64> {
        if self.frozen {
            Some(0)
        } else if self.owner == *pool {
            None
        } else if self.delegate == Some(*pool) {
            Some(self.delegated_amount)
        } else {
            Some(0)
        }
    }
}

/// Token balance of `info`; the account was validated earlier in the instruction.
pub fn amount_of(info: &AccountInfo) -> Result<u64> {
    let data = info.try_borrow_data()?;
    let state =
        StateWithExtensions::<SplAccount>::unpack(&data).map_err(|_| error!(TreasuryError::NotATokenAccount))?;
    Ok(state.base.amount)
}

/// Refuses mints whose extensions could move, freeze in transit, or run code on the
/// treasury's tokens. Transfer fees are accepted: arrivals are measured.
pub fn check_mint_supported(mint: &AccountInfo) -> Result<()> {
    if *mint.owner == anchor_spl::token::ID {
        return Ok(());
    }
    require_keys_eq!(*mint.owner, anchor_spl::token_2022::ID, TreasuryError::WrongTokenProgram);
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<SplMint>::unpack(&data).map_err(|_| error!(TreasuryError::WrongMint))?;
    for extension in state.get_extension_types()? {
        match extension {
            ExtensionType::PermanentDelegate => return err!(TreasuryError::MintHasPermanentDelegate),
            ExtensionType::TransferHook => return err!(TreasuryError::MintHasTransferHook),
            ExtensionType::NonTransferable => return err!(TreasuryError::MintNonTransferable),
            ExtensionType::TransferFeeConfig
            | ExtensionType::MintCloseAuthority
            | ExtensionType::DefaultAccountState
            | ExtensionType::InterestBearingConfig
            | ExtensionType::MetadataPointer
            | ExtensionType::TokenMetadata
            | ExtensionType::GroupPointer
            | ExtensionType::TokenGroup
            | ExtensionType::GroupMemberPointer
            | ExtensionType::TokenGroupMember
            | ExtensionType::ScaledUiAmount => {}
            _ => return err!(TreasuryError::UnsupportedMintExtension),
        }
    }
    Ok(())
}

/// The token program and mint every transfer of one instruction shares.
#[derive(Clone, Copy)]
pub struct TokenMover<'a, 'info> {
    pub token_program: &'a AccountInfo<'info>,
    pub mint: &'a AccountInfo<'info>,
    pub decimals: u8,
}

/// Balances around one transfer, as measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved {
    pub sent: u64,
    pub received: u64,
    pub from_after: u64,
    pub to_after: u64,
}

impl<'info> TokenMover<'_, 'info> {
    /// Sends `amount` with `transfer_checked`, signed by `signer_seeds` (empty when the
    /// authority signed the transaction), and measures what arrived.
    pub fn transfer(
        &self,
        from: &AccountInfo<'info>,
        to: &AccountInfo<'info>,
        authority: &AccountInfo<'info>,
        amount: u64,
        signer_seeds: &[&[&[u8]]],
    ) -> Result<Moved> {
        let to_before = amount_of(to)?;
        let accounts = TransferChecked {
            from: from.clone(),
            mint: self.mint.clone(),
            to: to.clone(),
            authority: authority.clone(),
        };
        let ctx = CpiContext::new_with_signer(self.token_program.key(), accounts, signer_seeds);
        token_interface::transfer_checked(ctx, amount, self.decimals)?;
        let to_after = amount_of(to)?;
        let received = to_after.checked_sub(to_before).ok_or(TreasuryError::MathOverflow)?;
        Ok(Moved { sent: amount, received, from_after: amount_of(from)?, to_after })
    }
}
