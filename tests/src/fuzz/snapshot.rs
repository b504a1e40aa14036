//! Everything the invariants look at, read after every step: the mint, every token
//! account of the world, the program's accounts and the clock.

use super::{exec::Exec, world::World};
use anchor_lang::{prelude::Pubkey, AccountDeserialize};
use anchor_spl::token_2022::spl_token_2022::{
    extension::{
        memo_transfer::MemoTransfer,
        transfer_fee::{TransferFeeAmount, TransferFeeConfig},
        BaseStateWithExtensions, StateWithExtensions,
    },
    state::{Account as SplAccount, AccountState, Mint as SplMint},
};
use smart_treasury::state::{ManagedBalance, Spender, Treasury};
use smart_treasury_policy::TransferFee;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenState {
    pub owner: Pubkey,
    pub amount: u64,
    pub delegate: Option<Pubkey>,
    pub delegated_amount: u64,
    pub frozen: bool,
    pub memo_required: bool,
    /// Fees withheld in the account (Token-2022 transfer-fee mints).
    pub withheld: u64,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub unix_timestamp: i64,
    pub supply: u64,
    /// Fees withheld in the mint itself.
    pub mint_withheld: u64,
    /// The transfer fee in the current epoch.
    pub fee: TransferFee,
    /// `None` for an account that does not exist or is no token account of the mint.
    pub tokens: BTreeMap<Pubkey, Option<TokenState>>,
    /// Raw data of the program's accounts, to tell any change.
    pub raw: BTreeMap<Pubkey, Option<Vec<u8>>>,
    pub treasury: Option<Treasury>,
    pub managed: Option<ManagedBalance>,
    pub spender: Option<Spender>,
}

impl Snapshot {
    pub async fn read(exec: &mut Exec, world: &World) -> Self {
        let clock = exec.rt.clock().await;
        let mint_data = exec.rt.account_data(world.mint).await.expect("the mint exists");
        let mint = StateWithExtensions::<SplMint>::unpack(&mint_data).expect("a mint");
        let (fee, mint_withheld) = match mint.get_extension::<TransferFeeConfig>() {
            Ok(config) => {
                let fee = config.get_epoch_fee(clock.epoch);
                let fee = TransferFee {
                    basis_points: fee.transfer_fee_basis_points.into(),
                    maximum_fee: fee.maximum_fee.into(),
                };
                (fee, u64::from(config.withheld_amount))
            }
            Err(_) => (TransferFee::NONE, 0),
        };
        let supply = mint.base.supply;
        let mut tokens = BTreeMap::new();
        let addresses = world.token_accounts();
        let banks = &exec.rt.context.banks_client;
        let accounts =
            futures_util::future::join_all(addresses.iter().map(|address| banks.get_account(*address))).await;
        for (address, account) in addresses.into_iter().zip(accounts) {
            let account = account.expect("get_account");
            let state = account.filter(|account| account.owner == world.token_program).and_then(|account| {
                let state = StateWithExtensions::<SplAccount>::unpack(&account.data).ok()?;
                (state.base.mint == world.mint).then(|| TokenState {
                    owner: state.base.owner,
                    amount: state.base.amount,
                    delegate: state.base.delegate.into(),
                    delegated_amount: state.base.delegated_amount,
                    frozen: state.base.state == AccountState::Frozen,
                    memo_required: state
                        .get_extension::<MemoTransfer>()
                        .is_ok_and(|memo| memo.require_incoming_transfer_memos.into()),
                    withheld: state.get_extension::<TransferFeeAmount>().map_or(0, |fee| fee.withheld_amount.into()),
                })
            });
            tokens.insert(address, state);
        }
        let mut raw = BTreeMap::new();
        for address in [world.treasury, world.managed_balance, world.spender_account] {
            raw.insert(address, exec.rt.account_data(address).await);
        }
        let data = |address: &Pubkey| raw[address].as_deref();
        Self {
            unix_timestamp: clock.unix_timestamp,
            supply,
            mint_withheld,
            fee,
            treasury: data(&world.treasury).and_then(decode_account),
            managed: data(&world.managed_balance).and_then(decode_account),
            spender: data(&world.spender_account).and_then(decode_account),
            tokens,
            raw,
        }
    }

    pub fn token(&self, address: &Pubkey) -> Option<&TokenState> {
        self.tokens.get(address).and_then(Option::as_ref)
    }

    /// The balance of `address`, 0 when it is not a token account of the mint.
    pub fn amount(&self, address: &Pubkey) -> u64 {
        self.token(address).map_or(0, |token| token.amount)
    }

    /// What every token account and the mint hold, withheld fees included.
    pub fn total(&self) -> u128 {
        let held: u128 =
            self.tokens.values().flatten().map(|token| u128::from(token.amount) + u128::from(token.withheld)).sum();
        held + u128::from(self.mint_withheld)
    }
}

fn decode_account<T: AccountDeserialize>(data: &[u8]) -> Option<T> {
    T::try_deserialize(&mut &data[..]).ok()
}
