//! Reading token accounts and mints of either token program, and moving tokens with
//! `transfer_checked` while measuring what actually arrived (transfer-fee mints).

use crate::{
    error::{policy, TreasuryError},
    state::{ManagedBalance, TransferFeeLimit},
};
use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::{
    extension::{
        memo_transfer::MemoTransfer, mint_close_authority::MintCloseAuthority, transfer_fee::TransferFeeConfig,
        BaseStateWithExtensions, ExtensionType, StateWithExtensions,
    },
    state::{Account as SplAccount, AccountState, Mint as SplMint},
};
use anchor_spl::token_interface::{self, TransferChecked};
use smart_treasury_policy::{TokenAccountFacts, TransferFee};

/// The fields of a token account the rules look at.
#[derive(Clone, Copy, Debug)]
pub struct TokenAccountView {
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub delegate: Option<Pubkey>,
    pub delegated_amount: u64,
    pub frozen: bool,
    /// Token-2022's memo-transfer extension asks for a memo on incoming transfers.
    pub memo_required: bool,
}

impl TokenAccountView {
    /// Reads `info` as a token account of `token_program` holding `mint`; `None` when it
    /// is not one (closed, refunded as a system account, re-created for another mint).
    pub fn read(info: &AccountInfo, token_program: &Pubkey, mint: &Pubkey) -> Option<Self> {
        Self::load(info, token_program, mint).ok()
    }

    /// Reads `info` as a token account of `token_program` holding `mint`, or fails
    /// with the reason.
    pub fn load(info: &AccountInfo, token_program: &Pubkey, mint: &Pubkey) -> Result<Self> {
        require_keys_eq!(*info.owner, *token_program, TreasuryError::NotATokenAccount);
        let data = info.try_borrow_data()?;
        let state =
            StateWithExtensions::<SplAccount>::unpack(&data).map_err(|_| error!(TreasuryError::NotATokenAccount))?;
        let base = state.base;
        require_keys_eq!(base.mint, *mint, TreasuryError::WrongMint);
        // Only Token-2022 accounts carry extensions; SPL Token's are never memo-bound.
        let memo_required = *token_program == anchor_spl::token_2022::ID
            && state.get_extension::<MemoTransfer>().is_ok_and(|memo| memo.require_incoming_transfer_memos.into());
        Ok(Self {
            mint: base.mint,
            owner: base.owner,
            amount: base.amount,
            delegate: base.delegate.into(),
            delegated_amount: base.delegated_amount,
            frozen: base.state == AccountState::Frozen,
            memo_required,
        })
    }

    /// The fields the policy's rules read.
    pub fn facts(&self) -> TokenAccountFacts<Pubkey> {
        TokenAccountFacts {
            owner: self.owner,
            amount: self.amount,
            delegate: self.delegate,
            delegated_amount: self.delegated_amount,
            frozen: self.frozen,
            memo_required: self.memo_required,
        }
    }

    /// What `pool` may move out of this account (the policy's rule).
    pub fn allowance_for(&self, pool: &Pubkey) -> Option<u64> {
        self.facts().allowance_for(pool)
    }

    /// Refuses an account that cannot take a transfer without a memo.
    pub fn require_no_memo(&self) -> Result<()> {
        require!(!self.memo_required, TreasuryError::MemoRequired);
        Ok(())
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
/// treasury's tokens, and mints that could be closed and re-created with such
/// extensions. Transfer fees are accepted: movements check them against the accepted
/// fee and measure what arrives.
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
            // Closing needs a close authority; once it is gone, it can never be set again.
            ExtensionType::MintCloseAuthority => {
                let close = state.get_extension::<MintCloseAuthority>()?;
                require!(Option::<Pubkey>::from(close.close_authority).is_none(), TreasuryError::MintCloseable);
            }
            ExtensionType::TransferFeeConfig
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

/// The mint's transfer fee in `epoch` (a fee change takes effect two epochs after the
/// fee authority sets it); none for SPL Token mints and mints without the extension.
pub fn transfer_fee(mint: &AccountInfo, epoch: u64) -> Result<TransferFee> {
    if *mint.owner != anchor_spl::token_2022::ID {
        return Ok(TransferFee::NONE);
    }
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<SplMint>::unpack(&data).map_err(|_| error!(TreasuryError::WrongMint))?;
    Ok(state.get_extension::<TransferFeeConfig>().map_or(TransferFee::NONE, |config| {
        let fee = config.get_epoch_fee(epoch);
        TransferFee { basis_points: fee.transfer_fee_basis_points.into(), maximum_fee: fee.maximum_fee.into() }
    }))
}

/// The token program and mint every transfer of one instruction shares, with the fee
/// the mint charges now and the highest one accepted.
#[derive(Clone, Copy)]
pub struct TokenMover<'a, 'info> {
    pub token_program: &'a AccountInfo<'info>,
    pub mint: &'a AccountInfo<'info>,
    pub decimals: u8,
    pub fee: TransferFee,
    pub accepted_fee: TransferFee,
}

/// Balances around one transfer, as measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved {
    pub sent: u64,
    pub received: u64,
    pub from_after: u64,
    pub to_after: u64,
}

impl<'a, 'info> TokenMover<'a, 'info> {
    /// For a managed balance's movements: refuses a fee above the accepted one.
    pub fn for_managed(
        token_program: &'a AccountInfo<'info>,
        mint: &'a AccountInfo<'info>,
        managed: &ManagedBalance,
        epoch: u64,
    ) -> Result<Self> {
        let fee = transfer_fee(mint, epoch)?;
        let accepted_fee = managed.accepted_transfer_fee.into();
        Ok(Self { token_program, mint, decimals: managed.decimals, fee, accepted_fee })
    }

    /// For a vault's deposits, withdrawals and payouts: whatever the mint charges now.
    pub fn at_current_fee(
        token_program: &'a AccountInfo<'info>,
        mint: &'a AccountInfo<'info>,
        decimals: u8,
        epoch: u64,
    ) -> Result<Self> {
        let fee = transfer_fee(mint, epoch)?;
        Ok(Self { token_program, mint, decimals, fee, accepted_fee: fee })
    }

    /// Sends `amount` with `transfer_checked`, signed by `signer_seeds` (empty when the
    /// authority signed the transaction), and checks that exactly `amount` less the
    /// mint's fee arrived.
    pub fn transfer(
        &self,
        from: &AccountInfo<'info>,
        to: &AccountInfo<'info>,
        authority: &AccountInfo<'info>,
        amount: u64,
        signer_seeds: &[&[&[u8]]],
    ) -> Result<Moved> {
        let fee = policy(self.fee.within(&self.accepted_fee, amount))?;
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
        require_eq!(received, amount.saturating_sub(fee), TreasuryError::TransferAmountMismatch);
        Ok(Moved { sent: amount, received, from_after: amount_of(from)?, to_after })
    }
}

/// The fee a managed balance accepts when created: the mint's fee now.
pub fn current_fee_limit(mint: &AccountInfo, epoch: u64) -> Result<TransferFeeLimit> {
    Ok(transfer_fee(mint, epoch)?.into())
}
