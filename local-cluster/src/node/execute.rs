//! Runs one transaction in the working bank and keeps everything a block explorer shows:
//! status, fee, logs, inner instructions, compute units, lamport and token balances.

use crate::node::history::TxRecord;
use solana_account_decoder::parse_account_data::SplTokenAdditionalDataV2;
use solana_account_decoder::parse_token::token_amount_to_ui_amount_v3;
use solana_clock::MAX_PROCESSING_AGE;
use solana_runtime::bank::Bank;
use solana_runtime_transaction::{runtime_transaction::RuntimeTransaction, transaction_meta::StaticMeta};
use solana_svm::{transaction_balances::SvmTokenInfo, transaction_processor::ExecutionRecordingConfig};
use solana_svm_timings::ExecuteTimings;
use solana_transaction::{sanitized::SanitizedTransaction, versioned::VersionedTransaction};
use solana_transaction_error::TransactionError;
use solana_transaction_status::{map_inner_instructions, TransactionStatusMeta, TransactionTokenBalance};

pub(crate) type SanitizedTx = RuntimeTransaction<SanitizedTransaction>;

const RECORD_EVERYTHING: ExecutionRecordingConfig = ExecutionRecordingConfig {
    enable_cpi_recording: true,
    enable_log_recording: true,
    enable_return_data_recording: true,
    enable_transaction_balance_recording: true,
};

/// Executes and commits `tx`; an error means it was not committed (it never lands, as when a
/// validator drops a transaction whose blockhash expired or whose fee payer cannot pay).
pub(crate) fn execute(
    bank: &Bank,
    tx: &SanitizedTx,
    versioned: VersionedTransaction,
) -> Result<TxRecord, TransactionError> {
    let batch = bank.prepare_sanitized_batch(std::slice::from_ref(tx));
    let (mut results, balances) = bank.load_execute_and_commit_transactions(
        &batch,
        MAX_PROCESSING_AGE,
        RECORD_EVERYTHING,
        &mut ExecuteTimings::default(),
        None,
    );
    drop(batch);
    let committed = results.pop().expect("one result per transaction")?;
    let (mut pre, mut post, mut token_pre, mut token_post) =
        balances.map(|balances| balances.into_vecs()).unwrap_or_default();
    let token_balances =
        |infos: Option<Vec<SvmTokenInfo>>| Some(infos.unwrap_or_default().into_iter().map(token_balance).collect());

    let meta = TransactionStatusMeta {
        status: committed.status,
        fee: committed.fee_details.total_fee(),
        pre_balances: pre.pop().unwrap_or_default(),
        post_balances: post.pop().unwrap_or_default(),
        inner_instructions: committed.inner_instructions.map(|inner| map_inner_instructions(inner).collect()),
        log_messages: committed.log_messages,
        pre_token_balances: token_balances(token_pre.pop()),
        post_token_balances: token_balances(token_post.pop()),
        rewards: Some(Vec::new()),
        loaded_addresses: tx.get_loaded_addresses(),
        return_data: committed.return_data,
        compute_units_consumed: Some(committed.executed_units),
        cost_units: None,
    };
    let message = tx.message();
    let account_keys: Vec<_> = message.account_keys().iter().copied().collect();
    let writable =
        account_keys.iter().enumerate().filter(|(index, _)| message.is_writable(*index)).map(|(_, key)| *key).collect();
    let compute_unit_price = tx
        .compute_budget_instruction_details()
        .sanitize_and_convert_to_compute_budget_limits(&bank.feature_set)
        .map_or(0, |limits| limits.compute_unit_price);
    Ok(TxRecord {
        signature: *tx.signature(),
        slot: bank.slot(),
        block_time: bank.clock().unix_timestamp,
        transaction: versioned,
        meta,
        account_keys,
        writable,
        compute_unit_price,
    })
}

/// The runtime's raw token balance in the ledger's shape.
pub(crate) fn token_balance(info: SvmTokenInfo) -> TransactionTokenBalance {
    TransactionTokenBalance {
        account_index: info.account_index,
        mint: info.mint.to_string(),
        ui_token_amount: token_amount_to_ui_amount_v3(
            info.amount,
            &SplTokenAdditionalDataV2::with_decimals(info.decimals),
        ),
        owner: info.owner.to_string(),
        program_id: info.program_id.to_string(),
    }
}
