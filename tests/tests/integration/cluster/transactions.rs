//! Airdrops, sending, simulating and reading transactions back with their metadata.

use super::{call, funded, raw, rpc, send, slots_pass, start, transfer, within};
use anchor_lang::prelude::Pubkey;
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client_api::config::{
    RpcSimulateTransactionAccountsConfig, RpcSimulateTransactionConfig, RpcTransactionConfig,
};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, EncodedTransaction, TransactionConfirmationStatus, UiTransactionEncoding,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn airdrop_send_and_read_back_with_metadata() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let alice = Keypair::new();
    let bob = Pubkey::new_unique();

    let airdrop = rpc.request_airdrop(&alice.pubkey(), 2_000_000_000).await.expect("requestAirdrop");
    assert!(rpc.confirm_transaction_with_commitment(&airdrop, CommitmentConfig::processed()).await.unwrap().value);
    assert_eq!(rpc.get_balance(&alice.pubkey()).await.unwrap(), 2_000_000_000);

    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(
        &[transfer(&alice.pubkey(), &bob, 500_000_000)],
        Some(&alice.pubkey()),
        &[&alice],
        blockhash,
    );
    let signature = rpc.send_transaction(&tx).await.expect("sendTransaction");
    assert_eq!(signature, tx.signatures[0]);

    // Processed at once, final one slot later.
    let status = rpc.get_signature_statuses(&[signature]).await.unwrap().value[0].clone().expect("known at once");
    assert_eq!(status.err, None);
    // Processed, unless its slot (50 ms) already ended.
    match status.confirmation_status {
        Some(TransactionConfirmationStatus::Processed) => assert_eq!(status.confirmations, Some(0)),
        Some(TransactionConfirmationStatus::Finalized) => assert_eq!(status.confirmations, None),
        other => panic!("unexpected {other:?}"),
    }
    let final_status = within(40, || async {
        let status = rpc.get_signature_statuses(&[signature]).await.unwrap().value[0].clone()?;
        (status.confirmation_status == Some(TransactionConfirmationStatus::Finalized)).then_some(status)
    })
    .await;
    assert_eq!(final_status.confirmations, None);
    assert_eq!(final_status.slot, status.slot);
    assert!(rpc.confirm_transaction_with_commitment(&signature, CommitmentConfig::finalized()).await.unwrap().value);
    assert_eq!(rpc.get_balance(&bob).await.unwrap(), 500_000_000);
    assert_eq!(rpc.get_balance(&alice.pubkey()).await.unwrap(), 2_000_000_000 - 500_000_000 - 5_000);

    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Json),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let fetched = rpc.get_transaction_with_config(&signature, config).await.expect("getTransaction");
    assert_eq!(fetched.slot, status.slot);
    assert!(fetched.block_time.is_some_and(|time| time > 1_700_000_000));
    let meta = fetched.transaction.meta.expect("meta");
    assert_eq!(meta.err, None);
    assert_eq!(meta.fee, 5_000);
    assert_eq!(meta.pre_balances, vec![2_000_000_000, 0, 1]);
    assert_eq!(meta.post_balances, vec![2_000_000_000 - 500_005_000, 500_000_000, 1]);
    let OptionSerializer::Some(logs) = meta.log_messages else { panic!("logs") };
    assert_eq!(
        logs,
        vec!["Program 11111111111111111111111111111111 invoke [1]", "Program 11111111111111111111111111111111 success"]
    );
    assert_eq!(meta.compute_units_consumed, OptionSerializer::Some(150));
    assert_eq!(meta.inner_instructions, OptionSerializer::Some(vec![]));
    assert_eq!(meta.pre_token_balances, OptionSerializer::Some(vec![]));
    let EncodedTransaction::Json(ui) = &fetched.transaction.transaction else { panic!("json encoding") };
    assert_eq!(ui.signatures, vec![signature.to_string()]);

    // Raw, as other clients read it: the base64 encoding round-trips the wire bytes.
    let answer = raw(&cluster, call("getTransaction", json!([signature.to_string(), "base64"]))).await;
    assert_eq!(answer["result"]["slot"], status.slot);
    assert_eq!(answer["result"]["transaction"][1], "base64");
    assert_eq!(answer["result"]["meta"]["status"], json!({ "Ok": null }));

    // Newest first, and paged with before / until / limit.
    let history = rpc.get_signatures_for_address(&alice.pubkey()).await.unwrap();
    let listed: Vec<_> = history.iter().map(|entry| entry.signature.clone()).collect();
    assert_eq!(listed, vec![signature.to_string(), airdrop.to_string()]);
    assert!(history.iter().all(|entry| entry.confirmation_status == Some(TransactionConfirmationStatus::Finalized)));
    let page = |before, until, limit| GetConfirmedSignaturesForAddress2Config {
        before,
        until,
        limit,
        commitment: Some(CommitmentConfig::confirmed()),
    };
    let older =
        rpc.get_signatures_for_address_with_config(&alice.pubkey(), page(Some(signature), None, None)).await.unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].signature, airdrop.to_string());
    let newer =
        rpc.get_signatures_for_address_with_config(&alice.pubkey(), page(None, Some(airdrop), None)).await.unwrap();
    assert_eq!(newer.len(), 1);
    assert_eq!(newer[0].signature, signature.to_string());
    let first = rpc.get_signatures_for_address_with_config(&alice.pubkey(), page(None, None, Some(1))).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(rpc.get_signatures_for_address(&bob).await.unwrap().len(), 1);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulation_reports_logs_units_accounts_and_inner_instructions() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 1_000_000_000).await;
    let mint = super::tokens::create_mint(&rpc, &payer, super::tokens::SPL_TOKEN, 6).await;
    let owner = Pubkey::new_unique();

    // Creating an associated token account CPIs into the system and token programs.
    let create =
        anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account(
            &payer.pubkey(),
            &owner,
            &mint,
            &super::tokens::SPL_TOKEN,
        );
    let ata = anchor_spl::associated_token::get_associated_token_address(&owner, &mint);
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(&[create], Some(&payer.pubkey()), &[&payer], blockhash);
    let config = RpcSimulateTransactionConfig {
        sig_verify: true,
        commitment: Some(CommitmentConfig::processed()),
        accounts: Some(RpcSimulateTransactionAccountsConfig { encoding: None, addresses: vec![ata.to_string()] }),
        inner_instructions: true,
        ..RpcSimulateTransactionConfig::default()
    };
    let simulation = rpc.simulate_transaction_with_config(&tx, config).await.expect("simulateTransaction").value;
    assert_eq!(simulation.err, None);
    let logs = simulation.logs.expect("logs");
    assert!(logs.iter().any(|line| line.contains("Program log: Create")), "{logs:#?}");
    assert!(simulation.units_consumed.is_some_and(|units| units > 1_000));
    let inner = simulation.inner_instructions.expect("inner instructions were asked for");
    assert_eq!(inner.len(), 1);
    assert!(inner[0].instructions.len() >= 4, "system and token CPIs: {:?}", inner[0].instructions);
    let accounts = simulation.accounts.expect("accounts were asked for");
    let account = accounts[0].as_ref().expect("the account exists after the simulation");
    assert_eq!(account.lamports, 2_039_280);
    assert_eq!(account.owner, super::tokens::SPL_TOKEN.to_string());
    assert_eq!(simulation.fee, Some(5_000));
    // Nothing was committed.
    assert!(rpc.get_account_with_commitment(&ata, CommitmentConfig::processed()).await.unwrap().value.is_none());

    // Without asking, no inner instructions; a stale blockhash can be replaced.
    let stale = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &owner, 1_000_000)],
        Some(&payer.pubkey()),
        &[&payer],
        solana_hash::Hash::new_unique(),
    );
    let config = RpcSimulateTransactionConfig {
        replace_recent_blockhash: true,
        commitment: Some(CommitmentConfig::processed()),
        ..RpcSimulateTransactionConfig::default()
    };
    let simulation = rpc.simulate_transaction_with_config(&stale, config).await.unwrap().value;
    assert_eq!(simulation.err, None);
    assert_eq!(simulation.units_consumed, Some(150));
    assert!(simulation.inner_instructions.is_none());
    let replacement = simulation.replacement_blockhash.expect("the blockhash it used");
    assert!(replacement.last_valid_block_height > 0);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn airdrops_and_transfers_reach_a_confirmed_client() {
    let cluster = start().await;
    let rpc = solana_rpc_client::nonblocking::rpc_client::RpcClient::new_with_commitment(
        cluster.rpc_url(),
        CommitmentConfig::confirmed(),
    );
    let payer = Keypair::new();
    let signature = rpc.request_airdrop(&payer.pubkey(), 1_000_000_000).await.unwrap();
    within(60, || async { rpc.confirm_transaction(&signature).await.unwrap().then_some(()) }).await;
    let signature = send(&rpc, &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_000)], &payer, &[]).await;
    let status = rpc.get_signature_status_with_commitment(&signature, CommitmentConfig::confirmed()).await.unwrap();
    assert_eq!(status, Some(Ok(())));
    slots_pass(&cluster, 1).await;
    cluster.shutdown().await;
}
