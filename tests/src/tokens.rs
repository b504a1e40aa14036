//! Mints and token accounts of either token program, made with the real programs.

use crate::runtime::Runtime;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::{instruction::Instruction, program_pack::Pack, system_instruction};
use anchor_spl::associated_token::{get_associated_token_address_with_program_id, spl_associated_token_account};
use anchor_spl::token_2022::spl_token_2022::{
    self,
    extension::{
        memo_transfer, transfer_fee, transfer_hook, BaseStateWithExtensions, ExtensionType, StateWithExtensions,
    },
    state::{Account as SplAccount, Mint as SplMint},
};
use solana_keypair::Keypair;
use solana_signer::Signer;

pub const SPL_TOKEN: Pubkey = anchor_spl::token::ID;
pub const TOKEN_2022: Pubkey = anchor_spl::token_2022::ID;

/// Token-2022 mint extensions a test can ask for.
#[derive(Clone, Copy, Debug)]
pub enum MintExtension {
    TransferFee {
        bps: u16,
        max_fee: u64,
    },
    PermanentDelegate,
    TransferHook,
    NonTransferable,
    /// A close authority (`None`: the extension with no authority left).
    MintCloseAuthority {
        authority: Option<Pubkey>,
    },
}

impl MintExtension {
    fn kind(&self) -> ExtensionType {
        match self {
            Self::TransferFee { .. } => ExtensionType::TransferFeeConfig,
            Self::PermanentDelegate => ExtensionType::PermanentDelegate,
            Self::TransferHook => ExtensionType::TransferHook,
            Self::NonTransferable => ExtensionType::NonTransferable,
            Self::MintCloseAuthority { .. } => ExtensionType::MintCloseAuthority,
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
            Self::MintCloseAuthority { authority } => {
                spl_token_2022::instruction::initialize_mint_close_authority(&TOKEN_2022, mint, authority.as_ref())
            }
        }
        .expect("extension instruction")
    }
}

impl Runtime {
    /// A mint whose mint and freeze authority is the payer.
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
            spl_token_2022::instruction::initialize_mint2(
                &token_program,
                &mint.pubkey(),
                &payer,
                Some(&payer),
                decimals,
            )
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
        self.create_token_account_at(&Keypair::new(), mint, owner, token_program).await
    }

    /// A token account at `account`'s address, sized for the mint's extensions (and room
    /// for the memo-transfer extension on Token-2022).
    pub async fn create_token_account_at(
        &mut self,
        account: &Keypair,
        mint: Pubkey,
        owner: Pubkey,
        token_program: Pubkey,
    ) -> Pubkey {
        let mint_data = self.account_data(mint).await.expect("mint exists");
        let mint_kinds =
            StateWithExtensions::<SplMint>::unpack(&mint_data).expect("mint").get_extension_types().expect("types");
        let mut account_kinds = ExtensionType::get_required_init_account_extensions(&mint_kinds);
        account_kinds.push(ExtensionType::MemoTransfer);
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
        self.ok(&ixs, &[account]).await;
        account.pubkey()
    }

    /// The mint's fee authority (the payer) sets a new Token-2022 transfer fee; it takes
    /// effect two epochs later.
    pub async fn set_transfer_fee(&mut self, mint: Pubkey, basis_points: u16, maximum_fee: u64) {
        let payer = self.payer().pubkey();
        let ix =
            transfer_fee::instruction::set_transfer_fee(&TOKEN_2022, &mint, &payer, &[], basis_points, maximum_fee)
                .expect("set transfer fee");
        self.ok(&[ix], &[]).await;
    }

    /// The mint's freeze authority (the payer) freezes `account`.
    pub async fn freeze(&mut self, account: Pubkey) {
        let token_program = self.owner_of(account).await;
        let mint = self.token_account(account).await.mint;
        let payer = self.payer().pubkey();
        let ix =
            spl_token_2022::instruction::freeze_account(&token_program, &account, &mint, &payer, &[]).expect("freeze");
        self.ok(&[ix], &[]).await;
    }

    /// Empties `account` into `sink` and closes it, refunding its rent to the owner.
    pub async fn close_token_account(&mut self, account: Pubkey, sink: Pubkey, owner: &Keypair) {
        let amount = self.token_balance(account).await;
        if amount > 0 {
            self.transfer_tokens(account, sink, owner, amount).await;
        }
        let token_program = self.owner_of(account).await;
        let close =
            spl_token_2022::instruction::close_account(&token_program, &account, &owner.pubkey(), &owner.pubkey(), &[])
                .expect("close");
        self.ok(&[close], &[owner]).await;
    }

    /// The owner of a Token-2022 account makes it require a memo on incoming transfers.
    pub async fn require_memos(&mut self, account: Pubkey, owner: &Keypair) {
        let ix =
            memo_transfer::instruction::enable_required_transfer_memos(&TOKEN_2022, &account, &owner.pubkey(), &[])
                .expect("enable memos");
        self.ok(&[ix], &[owner]).await;
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
