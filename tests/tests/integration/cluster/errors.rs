//! Errors shaped as the Solana RPC shapes them: JSON-RPC codes, preflight failures with the
//! simulation attached, unknown blockhashes and bad signatures.

use super::{call, funded, raw, raw_response, rpc, start, transfer};
use anchor_lang::prelude::Pubkey;
use base64::{prelude::BASE64_STANDARD, Engine};
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client_api::{
    client_error::ErrorKind,
    request::{RpcError, RpcResponseErrorData},
};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;

fn wire(tx: &Transaction) -> String {
    BASE64_STANDARD.encode(bincode::serialize(tx).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_rpc_errors_unknown_method_bad_params_batches() {
    let cluster = start().await;

    let answer = raw(&cluster, call("getTheMoon", json!([]))).await;
    assert_eq!(
        answer,
        json!({ "jsonrpc": "2.0", "error": { "code": -32601, "message": "Method not found" }, "id": 1 })
    );

    let answer = raw(&cluster, call("getBalance", json!(["not-a-key"]))).await;
    assert_eq!(answer["error"]["code"], -32602);
    assert!(answer["error"]["message"].as_str().unwrap().contains("`not-a-key` is not a base-58 public key"));
    let answer = raw(&cluster, call("getBalance", json!([]))).await;
    assert_eq!(answer["error"]["code"], -32602);
    assert_eq!(answer["error"]["message"], "Invalid params: expected 1 to 2 parameters, got 0.");
    let answer = raw(&cluster, call("getBalance", json!([42]))).await;
    assert_eq!(answer["error"]["code"], -32602);
    assert!(answer["error"]["message"].as_str().unwrap().starts_with("Invalid params: invalid type: integer `42`"));
    let answer = raw(&cluster, call("getSlot", json!([{ "minContextSlot": "soon" }]))).await;
    assert_eq!(answer["error"]["code"], -32602);
    let answer = raw(&cluster, call("getSlot", json!({ "commitment": "processed" }))).await;
    assert_eq!(answer["error"]["code"], -32602);

    // Batches answer call by call, in order; a notification (no id) gets no answer.
    let batch = json!([
        { "jsonrpc": "2.0", "id": 7, "method": "getHealth" },
        { "jsonrpc": "2.0", "id": "eight", "method": "nope" },
        { "jsonrpc": "2.0", "method": "getHealth" },
        { "jsonrpc": "2.0", "id": 9, "method": "getSlot", "params": [{ "minContextSlot": 1_000_000 }] },
    ]);
    let answer = raw(&cluster, batch).await;
    let answers = answer.as_array().expect("a batch answer");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0], json!({ "jsonrpc": "2.0", "result": "ok", "id": 7 }));
    assert_eq!(answers[1]["error"]["code"], -32601);
    assert_eq!(answers[1]["id"], "eight");
    assert_eq!(answers[2]["error"]["code"], -32016);
    assert_eq!(answers[2]["error"]["message"], "Minimum context slot has not been reached");
    assert!(answers[2]["error"]["data"]["contextSlot"].as_u64().is_some());

    let parse_error = reqwest::Client::new().post(cluster.rpc_url()).body("{ not json").send().await.unwrap();
    let answer: serde_json::Value = parse_error.json().await.unwrap();
    assert_eq!(answer["error"]["code"], -32700);
    // An empty batch gets an empty body, as from the Solana RPC (same JSON-RPC library).
    assert_eq!(raw_response(&cluster, json!([])).await.text().await.unwrap(), "");
    let wrong_method = reqwest::Client::new().get(cluster.rpc_url()).send().await.unwrap();
    assert_eq!(wrong_method.status(), reqwest::StatusCode::METHOD_NOT_ALLOWED);
    let too_big = raw_response(&cluster, json!({ "padding": "x".repeat(60 * 1024) })).await;
    assert_eq!(too_big.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);

    // History needs a completed slot.
    let answer =
        raw(&cluster, call("getTransaction", json!([Signature::default().to_string(), { "commitment": "processed" }])))
            .await;
    assert_eq!(answer["error"]["message"], "Method does not support commitment below `confirmed`");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_preflight_carries_the_simulation() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 1_000_000_000).await;
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    // More than the payer holds: the system program refuses.
    let tx = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 5_000_000_000)],
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );

    let answer = raw(
        &cluster,
        call("sendTransaction", json!([wire(&tx), { "encoding": "base64", "preflightCommitment": "processed" }])),
    )
    .await;
    let error = &answer["error"];
    assert_eq!(error["code"], -32002);
    assert_eq!(
        error["message"],
        "Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1"
    );
    assert_eq!(error["data"]["err"], json!({ "InstructionError": [0, { "Custom": 1 }] }));
    let logs: Vec<String> = serde_json::from_value(error["data"]["logs"].clone()).unwrap();
    assert!(logs.iter().any(|line| line.contains("insufficient lamports")), "{logs:#?}");
    assert_eq!(error["data"]["unitsConsumed"], 150);

    // The Rust client turns it into its typed preflight error.
    let err = rpc.send_transaction(&tx).await.expect_err("preflight fails");
    let ErrorKind::RpcError(RpcError::RpcResponseError {
        code,
        data: RpcResponseErrorData::SendTransactionPreflightFailure(simulation),
        ..
    }) = err.kind()
    else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!(*code, -32002);
    assert!(simulation.logs.as_ref().is_some_and(|logs| !logs.is_empty()));
    // Nothing landed.
    assert_eq!(rpc.get_signature_status(&tx.signatures[0]).await.unwrap(), None);

    // With preflight skipped the failure lands instead, fee paid, and is visible.
    let answer =
        raw(&cluster, call("sendTransaction", json!([wire(&tx), { "encoding": "base64", "skipPreflight": true }])))
            .await;
    assert_eq!(answer["result"], tx.signatures[0].to_string());
    let status =
        rpc.get_signature_status_with_commitment(&tx.signatures[0], CommitmentConfig::processed()).await.unwrap();
    assert!(matches!(status, Some(Err(_))), "{status:?}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_blockhash_and_bad_signatures_are_refused() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 1_000_000_000).await;

    let unknown = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1)],
        Some(&payer.pubkey()),
        &[&payer],
        solana_hash::Hash::new_unique(),
    );
    let answer = raw(&cluster, call("sendTransaction", json!([wire(&unknown), { "encoding": "base64" }]))).await;
    assert_eq!(answer["error"]["code"], -32002);
    assert_eq!(answer["error"]["message"], "Transaction simulation failed: Blockhash not found");
    assert_eq!(answer["error"]["data"]["err"], "BlockhashNotFound");
    let simulated = raw(&cluster, call("simulateTransaction", json!([wire(&unknown), { "encoding": "base64" }]))).await;
    assert_eq!(simulated["result"]["value"]["err"], "BlockhashNotFound");

    // Signed by the wrong key.
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let mut forged =
        Transaction::new_with_payer(&[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1)], Some(&payer.pubkey()));
    forged.message.recent_blockhash = blockhash;
    forged.signatures = vec![Keypair::new().sign_message(&forged.message_data())];
    let answer = raw(&cluster, call("sendTransaction", json!([wire(&forged), { "encoding": "base64" }]))).await;
    assert_eq!(answer["error"], json!({ "code": -32003, "message": "Transaction signature verification failure" }));
    let answer =
        raw(&cluster, call("simulateTransaction", json!([wire(&forged), { "encoding": "base64", "sigVerify": true }])))
            .await;
    assert_eq!(answer["error"]["code"], -32003);
    // Skipping preflight, the RPC accepts it, and the network drops it.
    let answer =
        raw(&cluster, call("sendTransaction", json!([wire(&forged), { "encoding": "base64", "skipPreflight": true }])))
            .await;
    assert_eq!(answer["result"], forged.signatures[0].to_string());
    assert_eq!(rpc.get_signature_status(&forged.signatures[0]).await.unwrap(), None);

    // Not a transaction at all.
    let answer = raw(&cluster, call("sendTransaction", json!(["AAAA", { "encoding": "base64" }]))).await;
    assert_eq!(answer["error"]["code"], -32602);
    assert!(answer["error"]["message"].as_str().unwrap().starts_with("failed to deserialize the transaction"));
    let answer = raw(&cluster, call("sendTransaction", json!(["abc", { "encoding": "jsonParsed" }]))).await;
    assert_eq!(answer["error"]["message"], "unsupported encoding: jsonParsed. Supported encodings: base58, base64");
    cluster.shutdown().await;
}
