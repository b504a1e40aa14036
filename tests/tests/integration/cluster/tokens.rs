//! Token balances and token accounts of both token programs, and the helpers that make
//! mints and token accounts through the cluster.

use super::{funded, rpc, send, start};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token_2022::spl_token_2022::{self, state::Mint};
use serde_json::json;
use solana_account_decoder_client_types::{UiAccountData, UiAccountEncoding};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::{
    config::RpcAccountInfoConfig,
    request::{RpcRequest, TokenAccountsFilter},
    response::{Response, RpcKeyedAccount},
};
use solana_signer::Signer;

pub const SPL_TOKEN: Pubkey = anchor_spl::token::ID;
pub const TOKEN_2022: Pubkey = anchor_spl::token_2022::ID;

/// A mint whose authority is `payer`.
pub async fn create_mint(rpc: &RpcClient, payer: &Keypair, token_program: Pubkey, decimals: u8) -> Pubkey {
    let mint = Keypair::new();
    let rent = rpc.get_minimum_balance_for_rent_exemption(Mint::LEN).await.unwrap();
    let instructions = [
        solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &mint.pubkey(),
            rent,
            Mint::LEN as u64,
            &token_program,
        ),
        spl_token_2022::instruction::initialize_mint2(&token_program, &mint.pubkey(), &payer.pubkey(), None, decimals)
            .unwrap(),
    ];
    send(rpc, &instructions, payer, &[&mint]).await;
    mint.pubkey()
}

/// `owner`'s associated token account for `mint`.
pub async fn create_ata(
    rpc: &RpcClient,
    payer: &Keypair,
    mint: Pubkey,
    owner: Pubkey,
    token_program: Pubkey,
) -> Pubkey {
    let create =
        anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account(
            &payer.pubkey(),
            &owner,
            &mint,
            &token_program,
        );
    send(rpc, &[create], payer, &[]).await;
    anchor_spl::associated_token::get_associated_token_address_with_program_id(&owner, &mint, &token_program)
}

pub async fn mint_to(
    rpc: &RpcClient,
    authority: &Keypair,
    mint: Pubkey,
    account: Pubkey,
    token_program: Pubkey,
    amount: u64,
) {
    let ix = spl_token_2022::instruction::mint_to(&token_program, &mint, &account, &authority.pubkey(), &[], amount)
        .unwrap();
    send(rpc, &[ix], authority, &[]).await;
}

fn json_parsed() -> RpcAccountInfoConfig {
    RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::JsonParsed),
        commitment: Some(CommitmentConfig::processed()),
        ..RpcAccountInfoConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_balances_and_accounts_by_owner_for_both_programs() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 10_000_000_000).await;
    let owner = Pubkey::new_unique();

    let usdc = create_mint(&rpc, &payer, SPL_TOKEN, 6).await;
    let usdc_account = create_ata(&rpc, &payer, usdc, owner, SPL_TOKEN).await;
    mint_to(&rpc, &payer, usdc, usdc_account, SPL_TOKEN, 12_345_678).await;
    let points = create_mint(&rpc, &payer, TOKEN_2022, 2).await;
    let points_account = create_ata(&rpc, &payer, points, owner, TOKEN_2022).await;
    mint_to(&rpc, &payer, points, points_account, TOKEN_2022, 150).await;

    let balance = rpc.get_token_account_balance(&usdc_account).await.expect("getTokenAccountBalance");
    assert_eq!(balance.amount, "12345678");
    assert_eq!(balance.decimals, 6);
    assert_eq!(balance.ui_amount_string, "12.345678");
    let balance = rpc.get_token_account_balance(&points_account).await.unwrap();
    assert_eq!((balance.amount.as_str(), balance.ui_amount_string.as_str()), ("150", "1.5"));
    let supply = rpc.get_token_supply(&usdc).await.unwrap();
    assert_eq!(supply.amount, "12345678");

    // By mint: only that mint's account, parsed.
    let by_mint = rpc.get_token_accounts_by_owner(&owner, TokenAccountsFilter::Mint(usdc)).await.expect("by mint");
    assert_eq!(by_mint.len(), 1);
    assert_eq!(by_mint[0].pubkey, usdc_account.to_string());
    let UiAccountData::Json(parsed) = &by_mint[0].account.data else { panic!("jsonParsed data") };
    assert_eq!(parsed.program, "spl-token");
    assert_eq!(parsed.parsed["info"]["tokenAmount"]["amount"], "12345678");
    assert_eq!(parsed.parsed["info"]["owner"], owner.to_string());
    // By program: Token-2022 accounts only, with their extensions parsed.
    let by_program = rpc.get_token_accounts_by_owner(&owner, TokenAccountsFilter::ProgramId(TOKEN_2022)).await.unwrap();
    assert_eq!(by_program.len(), 1);
    let UiAccountData::Json(parsed) = &by_program[0].account.data else { panic!("jsonParsed data") };
    assert_eq!(parsed.program, "spl-token-2022");
    assert_eq!(parsed.parsed["info"]["tokenAmount"]["uiAmountString"], "1.5");
    assert!(rpc
        .get_token_accounts_by_owner(&Pubkey::new_unique(), TokenAccountsFilter::Mint(usdc))
        .await
        .unwrap()
        .is_empty());

    // getAccountInfo parses token accounts and mints too.
    let account = rpc.get_ui_account_with_config(&usdc_account, json_parsed()).await.unwrap().value.unwrap();
    assert_eq!(account.owner, SPL_TOKEN.to_string());
    let UiAccountData::Json(parsed) = account.data else { panic!("jsonParsed data") };
    assert_eq!(parsed.parsed["type"], "account");
    let ui = super::raw(
        &cluster,
        super::call("getAccountInfo", serde_json::json!([usdc.to_string(), { "encoding": "jsonParsed" }])),
    )
    .await;
    assert_eq!(ui["result"]["value"]["data"]["parsed"]["type"], "mint");
    assert_eq!(ui["result"]["value"]["data"]["parsed"]["info"]["decimals"], 6);
    assert_eq!(ui["result"]["value"]["data"]["parsed"]["info"]["supply"], "12345678");
    cluster.shutdown().await;
}

/// Associated accounts of `mint` for `count` new owners, several per transaction.
async fn accounts_for_new_owners(
    rpc: &RpcClient,
    payer: &Keypair,
    mint: Pubkey,
    token_program: Pubkey,
    count: usize,
) -> Vec<Pubkey> {
    let owners: Vec<Pubkey> = (0..count).map(|_| Pubkey::new_unique()).collect();
    for batch in owners.chunks(6) {
        let creates: Vec<_> = batch
            .iter()
            .map(|owner| {
                anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account(
                    &payer.pubkey(),
                    owner,
                    &mint,
                    &token_program,
                )
            })
            .collect();
        send(rpc, &creates, payer, &[]).await;
    }
    owners
        .iter()
        .map(|owner| {
            anchor_spl::associated_token::get_associated_token_address_with_program_id(owner, &mint, &token_program)
        })
        .collect()
}

/// `owner` lets `delegate` move up to `amount` out of `account`.
async fn approve(
    rpc: &RpcClient,
    payer: &Keypair,
    owner: &Keypair,
    account: Pubkey,
    delegate: Pubkey,
    program: Pubkey,
) {
    let ix = spl_token_2022::instruction::approve(&program, &account, &delegate, &owner.pubkey(), &[], 1_000).unwrap();
    send(rpc, &[ix], payer, &[owner]).await;
}

/// getTokenAccountsByDelegate through the Rust client's own request and response types.
/// (Its `get_token_accounts_by_delegate` sends getTokenAccountsByOwner instead.)
async fn by_delegate(rpc: &RpcClient, delegate: &Pubkey, filter: serde_json::Value) -> Vec<RpcKeyedAccount> {
    let config = json_parsed();
    let params = json!([delegate.to_string(), filter, config]);
    let answer: Response<Vec<RpcKeyedAccount>> =
        rpc.send(RpcRequest::GetTokenAccountsByDelegate, params).await.expect("getTokenAccountsByDelegate");
    answer.value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn largest_accounts_of_a_mint_and_accounts_by_delegate_for_both_programs() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 10_000_000_000).await;

    // 22 holders with 1..=22 units: the RPC lists the 20 largest, largest first.
    let usdc = create_mint(&rpc, &payer, SPL_TOKEN, 6).await;
    let holders = accounts_for_new_owners(&rpc, &payer, usdc, SPL_TOKEN, 22).await;
    for (batch, start) in holders.chunks(11).zip([0u64, 11]) {
        let mints: Vec<_> = batch
            .iter()
            .zip(start + 1..)
            .map(|(account, units)| {
                spl_token_2022::instruction::mint_to(
                    &SPL_TOKEN,
                    &usdc,
                    account,
                    &payer.pubkey(),
                    &[],
                    units * 1_000_000,
                )
                .unwrap()
            })
            .collect();
        send(&rpc, &mints, &payer, &[]).await;
    }
    let largest = rpc.get_token_largest_accounts(&usdc).await.expect("getTokenLargestAccounts");
    let expected: Vec<String> = holders.iter().rev().take(20).map(ToString::to_string).collect();
    assert_eq!(largest.iter().map(|balance| balance.address.clone()).collect::<Vec<_>>(), expected);
    assert_eq!((largest[0].amount.amount.as_str(), largest[0].amount.ui_amount_string.as_str()), ("22000000", "22"));
    assert_eq!(largest[19].amount.ui_amount_string, "3");
    assert_eq!(largest[0].amount.decimals, 6);

    let points = create_mint(&rpc, &payer, TOKEN_2022, 2).await;
    let (alice, bob) = (Keypair::new(), Keypair::new());
    let alice_points = create_ata(&rpc, &payer, points, alice.pubkey(), TOKEN_2022).await;
    let bob_points = create_ata(&rpc, &payer, points, bob.pubkey(), TOKEN_2022).await;
    mint_to(&rpc, &payer, points, bob_points, TOKEN_2022, 250).await;
    let largest = rpc.get_token_largest_accounts(&points).await.unwrap();
    let order: Vec<(String, String)> =
        largest.iter().map(|balance| (balance.address.clone(), balance.amount.ui_amount_string.clone())).collect();
    assert_eq!(order, vec![(bob_points.to_string(), "2.5".into()), (alice_points.to_string(), "0".into())]);

    // Accounts by delegate: Alice's and Bob's USDC and Alice's points, not Carol's.
    let delegate = Pubkey::new_unique();
    let carol = Keypair::new();
    let mut usdc_accounts = Vec::new();
    for owner in [&alice, &bob, &carol] {
        usdc_accounts.push(create_ata(&rpc, &payer, usdc, owner.pubkey(), SPL_TOKEN).await);
    }
    approve(&rpc, &payer, &alice, usdc_accounts[0], delegate, SPL_TOKEN).await;
    approve(&rpc, &payer, &bob, usdc_accounts[1], delegate, SPL_TOKEN).await;
    approve(&rpc, &payer, &carol, usdc_accounts[2], Pubkey::new_unique(), SPL_TOKEN).await;
    approve(&rpc, &payer, &alice, alice_points, delegate, TOKEN_2022).await;

    let by_mint = by_delegate(&rpc, &delegate, json!({ "mint": usdc.to_string() })).await;
    let mut found: Vec<String> = by_mint.iter().map(|keyed| keyed.pubkey.clone()).collect();
    found.sort();
    let mut expected = vec![usdc_accounts[0].to_string(), usdc_accounts[1].to_string()];
    expected.sort();
    assert_eq!(found, expected);
    let UiAccountData::Json(parsed) = &by_mint[0].account.data else { panic!("jsonParsed data") };
    assert_eq!(parsed.parsed["info"]["delegate"], delegate.to_string());
    assert_eq!(parsed.parsed["info"]["delegatedAmount"]["amount"], "1000");
    let by_program = by_delegate(&rpc, &delegate, json!({ "programId": TOKEN_2022.to_string() })).await;
    assert_eq!(by_program.iter().map(|keyed| keyed.pubkey.clone()).collect::<Vec<_>>(), vec![alice_points.to_string()]);
    let revoke = spl_token_2022::instruction::revoke(&SPL_TOKEN, &usdc_accounts[1], &bob.pubkey(), &[]).unwrap();
    send(&rpc, &[revoke], &payer, &[&bob]).await;
    let after = by_delegate(&rpc, &delegate, json!({ "programId": SPL_TOKEN.to_string() })).await;
    assert_eq!(after.iter().map(|keyed| keyed.pubkey.clone()).collect::<Vec<_>>(), vec![usdc_accounts[0].to_string()]);

    for (request, message) in [
        (json!(["getTokenLargestAccounts", [Pubkey::new_unique().to_string()]]), "could not find mint"),
        (json!(["getTokenLargestAccounts", [usdc_accounts[0].to_string()]]), "mint"),
        (
            json!(["getTokenAccountsByDelegate", [delegate.to_string(), { "programId": Pubkey::new_unique().to_string() }]]),
            "unrecognized Token program id",
        ),
        (json!(["getTokenAccountsByDelegate", [delegate.to_string()]]), "Invalid params"),
    ] {
        let answer = super::raw(&cluster, super::call(request[0].as_str().unwrap(), request[1].clone())).await;
        assert_eq!(answer["error"]["code"], -32602, "{request}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(message), "{request}: {answer}");
    }
    cluster.shutdown().await;
}
