//! Mints and token accounts of either token program, made with the real programs.

use crate::runtime::Runtime;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::{instruction::Instruction, program_pack::Pack, system_instruction};
use anchor_spl::associated_token::{get_associated_token_address_with_program_id, spl_associated_token_account};
use anchor_spl::token_2022::spl_token_2022::{
    self,
    extension::{transfer_fee, transfer_hook, BaseStateWithExtensions, ExtensionType, StateWithExtensions},
    state::{Account as SplAccount, Mint as SplMint},
};
use solana_keypair::Keypair;
use solana_signer::Signer;

pub const SPL_TOKEN: Pubkey = anchor_spl::token::ID;
pub const TOKEN_2022: Pubkey = anchor_spl::token_2022::ID;

/// Token-2022 mint extensions a test can ask for.
#[derive(Clone, Copy, Debug)]
pub enum MintExtension {
    TransferFee { bps: u16, max_fee: u64 },
    PermanentDelegate,
    TransferHook,
    NonTransferable,
}

impl MintExtension {
    fn kind(&self) -> ExtensionType {
        match self {
            Self::TransferFee { .. } => ExtensionType::TransferFeeConfig,
            Self::PermanentDelegate => ExtensionType::PermanentDelegate,
            Self::TransferHook => ExtensionType::TransferHook,
            Self::NonTransferable => ExtensionType::NonTransferable,
        }
    }

    fn init(&self, mint: &Pubkey, authority: &Pubkey) -> Instruction {
        match *self {
            Self::TransferFee { bps, max_fee } => transfer_fee::instruction::initialize_transfer_fee_config(
                &TOKEN_2022,
                mint,
                Some(authority),
                Some(authority),
                bps,
                max_fee,
            ),
            Self::PermanentDelegate => {
                spl_token_2022::instruction::initialize_permanent_delegate(&TOKEN_2022, mint, authority)
            }
            Self::TransferHook => {
                transfer_hook::instruction::initialize(&TOKEN_2022, mint, Some(*authority), Some(Pubkey::new_unique()))
            }
            Self::NonTransferable => spl_token_2022::instruction::initialize_non_transferable_mint(&TOKEN_2022, mint),
        }
        .expect("extension instruction")
    }
}

impl Runtime {
    /// A mint whose mint authority is the payer.
    pub async fn create_mint(&mut self, token_program: Pubkey, decimals: u8, extensions: &[MintExtension]) -> Pubkey {
        let mint = Keypair::new();
        let kinds: Vec<ExtensionType> = extensions.iter().map(MintExtension::kind).collect();
        let space = if kinds.is_empty() {
            SplMint::LEN
        } else {
            ExtensionType::try_calculate_account_len::<SplMint>(&kinds).expect("mint length")
        };
        let payer = self.payer().pubkey();
        let rent = self.context.banks_client.get_rent().await.expect("rent").minimum_balance(space);
        let mut ixs =
            vec![system_instruction::create_account(&payer, &mint.pubkey(), rent, space as u64, &token_program)];
        ixs.extend(extensions.iter().map(|extension| extension.init(&mint.pubkey(), &payer)));
        ixs.push(
            spl_token_2022::instruction::initialize_mint2(&token_program, &mint.pubkey(), &payer, None, decimals)
                .expect("init mint"),
        );
        self.ok(&ixs, &[&mint]).await;
        mint.pubkey()
    }

    /// The associated token account of `owner` (which may be a PDA) for `mint`.
    pub async fn create_ata(&mut self, mint: Pubkey, owner: Pubkey, token_program: Pubkey) -> Pubkey {
        let payer = self.payer().pubkey();
        let ix = spl_associated_token_account::instruction::create_associated_token_account(
            &payer,
            &owner,
            &mint,
            &token_program,
        );
        self.ok(&[ix], &[]).await;
        get_associated_token_address_with_program_id(&owner, &mint, &token_program)
    }

    /// A token account at a fresh address, sized for the mint's extensions.
    pub async fn create_token_account(&mut self, mint: Pubkey, owner: Pubkey, token_program: Pubkey) -> Pubkey {
        let account = Keypair::new();
        let mint_data = self.account_data(mint).await.expect("mint exists");
        let mint_kinds =
            StateWithExtensions::<SplMint>::unpack(&mint_data).expect("mint").get_extension_types().expect("types");
        let account_kinds = ExtensionType::get_required_init_account_extensions(&mint_kinds);
        let space = if token_program == SPL_TOKEN {
            SplAccount::LEN
        } else {
            ExtensionType::try_calculate_account_len::<SplAccount>(&account_kinds).expect("account length")
        };
        let payer = self.payer().pubkey();
        let rent = self.context.banks_client.get_rent().await.expect("rent").minimum_balance(space);
        let ixs = [
            system_instruction::create_account(&payer, &account.pubkey(), rent, space as u64, &token_program),
            spl_token_2022::instruction::initialize_account3(&token_program, &account.pubkey(), &mint, &owner)
                .expect("init account"),
        ];
        self.ok(&ixs, &[&account]).await;
        account.pubkey()
    }

    pub async fn mint_to(&mut self, mint: Pubkey, account: Pubkey, amount: u64) {
        let token_program = self.owner_of(mint).await;
        let payer = self.payer().pubkey();
        let ix = spl_token_2022::instruction::mint_to(&token_program, &mint, &account, &payer, &[], amount)
            .expect("mint_to");
        self.ok(&[ix], &[]).await;
    }

    /// `owner` lets `delegate` move up to `amount` out of `account`.
    pub async fn approve(&mut self, account: Pubkey, owner: &Keypair, delegate: Pubkey, amount: u64) {
        let token_program = self.owner_of(account).await;
        let ix =
            spl_token_2022::instruction::approve(&token_program, &account, &delegate, &owner.pubkey(), &[], amount)
                .expect("approve");
        self.ok(&[ix], &[owner]).await;
    }

    /// Moves tokens between two accounts as their owner.
    pub async fn transfer_tokens(&mut self, from: Pubkey, to: Pubkey, owner: &Keypair, amount: u64) {
        let token_program = self.owner_of(from).await;
        let view = self.token_account(from).await;
        let mint_data = self.account_data(view.mint).await.expect("mint");
        let decimals = StateWithExtensions::<SplMint>::unpack(&mint_data).expect("mint").base.decimals;
        let ix = spl_token_2022::instruction::transfer_checked(
            &token_program,
            &from,
            &view.mint,
            &to,
            &owner.pubkey(),
            &[],
            amount,
            decimals,
        )
        .expect("transfer");
        self.ok(&[ix], &[owner]).await;
    }

    pub async fn token_account(&mut self, address: Pubkey) -> SplAccount {
        let data = self.account_data(address).await.unwrap_or_else(|| panic!("token account {address} missing"));
        StateWithExtensions::<SplAccount>::unpack(&data).expect("token account").base
    }

    pub async fn token_balance(&mut self, address: Pubkey) -> u64 {
        self.token_account(address).await.amount
    }

    pub async fn owner_of(&mut self, address: Pubkey) -> Pubkey {
        self.context.banks_client.get_account(address).await.expect("get_account").expect("account exists").owner
    }
}
