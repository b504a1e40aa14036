//! Balances and accounts: one, many, or all of a program's, in every encoding.

use super::tokens::{create_ata, create_mint, mint_to, SPL_TOKEN};
use super::{call, funded, raw, rpc, start};
use anchor_lang::prelude::Pubkey;
use base64::{prelude::BASE64_STANDARD, Engine};
use serde_json::json;
use solana_account_decoder_client_types::{UiAccountData, UiAccountEncoding, UiDataSliceConfig};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_api::{
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    filter::{Memcmp, RpcFilterType},
};
use solana_signer::Signer;

fn processed(encoding: UiAccountEncoding) -> RpcAccountInfoConfig {
    RpcAccountInfoConfig {
        encoding: Some(encoding),
        commitment: Some(CommitmentConfig::processed()),
        ..RpcAccountInfoConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_and_multiple_accounts() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 3_000_000_000).await;
    let missing = Pubkey::new_unique();

    assert_eq!(rpc.get_balance(&payer.pubkey()).await.unwrap(), 3_000_000_000);
    assert_eq!(rpc.get_balance(&missing).await.unwrap(), 0);
    let account = rpc.get_account(&payer.pubkey()).await.expect("getAccountInfo");
    assert_eq!(account.owner, anchor_lang::system_program::ID);
    assert_eq!(account.lamports, 3_000_000_000);
    assert!(account.data.is_empty());
    assert!(rpc.get_account_with_commitment(&missing, CommitmentConfig::processed()).await.unwrap().value.is_none());

    // Default encoding is base-58, as the RPC's; a 165-byte token account is too big for it.
    let mint = create_mint(&rpc, &payer, SPL_TOKEN, 6).await;
    let token_account = create_ata(&rpc, &payer, mint, payer.pubkey(), SPL_TOKEN).await;
    let answer = raw(&cluster, call("getAccountInfo", json!([mint.to_string(), { "commitment": "processed" }]))).await;
    let data = &answer["result"]["value"]["data"];
    assert_eq!(bs58::decode(data.as_str().unwrap()).into_vec().unwrap().len(), 82);
    let answer =
        raw(&cluster, call("getAccountInfo", json!([token_account.to_string(), { "commitment": "processed" }]))).await;
    assert_eq!(answer["error"]["code"], -32600);
    assert!(answer["error"]["message"].as_str().unwrap().contains("please use Base64 encoding"));

    // base64 with a slice: the token account's owner field.
    let sliced = RpcAccountInfoConfig {
        data_slice: Some(UiDataSliceConfig { offset: 32, length: 32 }),
        ..processed(UiAccountEncoding::Base64)
    };
    let account = rpc.get_ui_account_with_config(&token_account, sliced).await.unwrap().value.unwrap();
    assert_eq!(account.data.decode().unwrap(), payer.pubkey().to_bytes().to_vec());
    let answer = raw(
        &cluster,
        call("getAccountInfo", json!([token_account.to_string(), { "encoding": "base58", "commitment": "processed", "dataSlice": { "offset": 32, "length": 32 } }])),
    )
    .await;
    assert_eq!(answer["result"]["value"]["data"], json!([payer.pubkey().to_string(), "base58"]));
    assert_eq!(answer["result"]["value"]["space"], 165);

    let many = rpc
        .get_multiple_ui_accounts_with_config(&[payer.pubkey(), missing, mint], processed(UiAccountEncoding::Base64))
        .await
        .expect("getMultipleAccounts")
        .value;
    assert_eq!(many.len(), 3);
    assert_eq!(many[0].as_ref().unwrap().lamports, rpc.get_balance(&payer.pubkey()).await.unwrap());
    assert!(many[1].is_none());
    assert_eq!(many[2].as_ref().unwrap().owner, SPL_TOKEN.to_string());
    let too_many: Vec<String> = (0..101).map(|_| Pubkey::new_unique().to_string()).collect();
    let answer = raw(&cluster, call("getMultipleAccounts", json!([too_many]))).await;
    assert_eq!(answer["error"]["code"], -32602);
    assert_eq!(answer["error"]["message"], "Too many inputs provided; max 100");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn program_accounts_with_filters_and_encodings() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 10_000_000_000).await;
    let mint = create_mint(&rpc, &payer, SPL_TOKEN, 6).await;
    let holders: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
    let mut accounts = Vec::new();
    for (index, holder) in holders.iter().enumerate() {
        let account = create_ata(&rpc, &payer, mint, *holder, SPL_TOKEN).await;
        mint_to(&rpc, &payer, mint, account, SPL_TOKEN, 1_000 * (index as u64 + 1)).await;
        accounts.push(account);
    }

    let of_mint = |extra: Vec<RpcFilterType>, encoding| RpcProgramAccountsConfig {
        filters: Some(
            [
                vec![
                    RpcFilterType::DataSize(165),
                    RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, &mint.to_bytes())),
                ],
                extra,
            ]
            .concat(),
        ),
        account_config: processed(encoding),
        with_context: None,
        sort_results: None,
    };
    let all =
        rpc.get_program_ui_accounts_with_config(&SPL_TOKEN, of_mint(vec![], UiAccountEncoding::Base64)).await.unwrap();
    let mut found: Vec<Pubkey> = all.iter().map(|(pubkey, _)| *pubkey).collect();
    found.sort();
    let mut expected = accounts.clone();
    expected.sort();
    assert_eq!(found, expected);
    // The mint itself (82 bytes) is left out by the size filter.
    assert!(all.iter().all(|(_, account)| account.data.decode().unwrap().len() == 165));

    // memcmp on the owner field, written in base64.
    let owner_filter = RpcFilterType::Memcmp(Memcmp::new(
        32,
        solana_rpc_client_api::filter::MemcmpEncodedBytes::Base64(BASE64_STANDARD.encode(holders[1].to_bytes())),
    ));
    let one = rpc
        .get_program_ui_accounts_with_config(&SPL_TOKEN, of_mint(vec![owner_filter], UiAccountEncoding::Base64))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].0, accounts[1]);

    // jsonParsed token accounts carry their amounts; withContext wraps the list.
    let answer = raw(
        &cluster,
        call(
            "getProgramAccounts",
            json!([SPL_TOKEN.to_string(), {
                "encoding": "jsonParsed",
                "commitment": "processed",
                "withContext": true,
                "filters": [{ "dataSize": 165 }, { "memcmp": { "offset": 32, "bytes": holders[2].to_string() } }],
            }]),
        ),
    )
    .await;
    let listed = answer["result"]["value"].as_array().expect("a contextual list");
    assert!(answer["result"]["context"]["slot"].as_u64().is_some());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["account"]["data"]["parsed"]["info"]["tokenAmount"]["amount"], "3000");
    assert_eq!(listed[0]["account"]["data"]["program"], "spl-token");

    // base58 works once a slice keeps the data small.
    let answer = raw(
        &cluster,
        call(
            "getProgramAccounts",
            json!([SPL_TOKEN.to_string(), {
                "encoding": "base58",
                "commitment": "processed",
                "dataSlice": { "offset": 0, "length": 32 },
                "filters": [{ "dataSize": 165 }, { "memcmp": { "offset": 0, "bytes": mint.to_string() } }],
            }]),
        ),
    )
    .await;
    let listed = answer["result"].as_array().expect("a plain list");
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|entry| entry["account"]["data"] == json!([mint.to_string(), "base58"])));
    let UiAccountData::Binary(_, UiAccountEncoding::Base58) =
        serde_json::from_value::<solana_account_decoder_client_types::UiAccount>(listed[0]["account"].clone())
            .unwrap()
            .data
    else {
        panic!("base58 data");
    };

    // Filters the RPC refuses.
    let answer = raw(
        &cluster,
        call("getProgramAccounts", json!([SPL_TOKEN.to_string(), { "filters": [{ "dataSize": 1 }, { "dataSize": 2 }, { "dataSize": 3 }, { "dataSize": 4 }, { "dataSize": 5 }] }])),
    )
    .await;
    assert_eq!(answer["error"]["code"], -32602);
    assert_eq!(answer["error"]["message"], "Too many filters provided; max 4");
    cluster.shutdown().await;
}
