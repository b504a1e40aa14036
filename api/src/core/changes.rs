//! A change becomes one transaction: signed here with the configured authority key and
//! sent (development, local), or exported unsigned in the forms DAO tools take: the
//! base58 wire transaction the Squads transaction builder imports, base64 Borsh
//! `InstructionData` per instruction (an SPL Governance / Realms custom instruction),
//! and plain JSON. A change that does not fit one transaction is refused, so nothing is
//! ever half-applied.

use crate::{
    config::ChangeMode,
    error::{ApiResult, Problem},
    state::AppState,
    v1::common::ChangeModeParam,
};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction, AnchorSerialize};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use serde::Serialize;
use smart_treasury_client::{tx, Change};
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::sync::Arc;
use utoipa::ToSchema;

/// The largest transaction the network carries, in bytes.
pub const MAX_TRANSACTION_BYTES: usize = 1_232;

/// A change, ready to become a transaction.
pub struct Planned {
    /// One line: what it is.
    pub summary: String,
    /// What will change, in words, one line per effect.
    pub effects: Vec<String>,
    pub instructions: Vec<Instruction>,
    /// Who may sign it (the authority; for a pause, the guardian too); the first pays
    /// and signs an export.
    pub signers: Vec<(Pubkey, &'static str)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeStatus {
    /// Signed here, sent and confirmed.
    Applied,
    /// Returned unsigned; nothing changed yet.
    Exported,
}

/// What a change did, or the transaction that will do it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeResult {
    pub status: ChangeStatus,
    pub summary: String,
    pub effects: Vec<String>,
    /// When applied: the transaction's signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// When applied: the slot it landed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u64>,
    /// When exported: the unsigned transaction in every form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportedChange>,
}

/// Applied: 200. Exported: 202, since nothing changed yet.
impl axum::response::IntoResponse for ChangeResult {
    fn into_response(self) -> axum::response::Response {
        let status = match self.status {
            ChangeStatus::Applied => axum::http::StatusCode::OK,
            ChangeStatus::Exported => axum::http::StatusCode::ACCEPTED,
        };
        (status, axum::Json(self)).into_response()
    }
}

/// One account of an instruction.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JsonAccount {
    pub pubkey: String,
    pub is_signer: bool,
    pub is_writable: bool,
}

/// An instruction as plain JSON.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JsonInstruction {
    pub program_id: String,
    pub accounts: Vec<JsonAccount>,
    /// The instruction data, base64.
    pub data: String,
}

/// An unsigned transaction, in the forms DAO and multisig tools import.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportedChange {
    /// Pays the fee and signs: the authority (a multisig vault, a governance PDA).
    pub fee_payer: String,
    /// Who still has to sign.
    pub signers: Vec<String>,
    pub recent_blockhash: String,
    /// The wire transaction, base58: what the Squads transaction builder imports.
    pub squads_transaction: String,
    /// The same bytes, base64 (wallets, `solana` CLI tooling).
    pub transaction_base64: String,
    /// One base64 Borsh `InstructionData` per instruction: an SPL Governance (Realms)
    /// custom instruction each.
    pub realms_instructions: Vec<String>,
    pub instructions: Vec<JsonInstruction>,
}

/// SPL Governance's `InstructionData` layout (what a Realms proposal stores).
#[derive(AnchorSerialize)]
struct GovernanceInstruction {
    program_id: Pubkey,
    accounts: Vec<GovernanceAccountMeta>,
    data: Vec<u8>,
}

#[derive(AnchorSerialize)]
struct GovernanceAccountMeta {
    pubkey: Pubkey,
    is_signer: bool,
    is_writable: bool,
}

/// One instruction as a base64 Borsh `InstructionData`.
pub fn realms_instruction(instruction: &Instruction) -> String {
    let data = GovernanceInstruction {
        program_id: instruction.program_id,
        accounts: instruction
            .accounts
            .iter()
            .map(|meta| GovernanceAccountMeta {
                pubkey: meta.pubkey,
                is_signer: meta.is_signer,
                is_writable: meta.is_writable,
            })
            .collect(),
        data: instruction.data.clone(),
    };
    let mut bytes = Vec::new();
    data.serialize(&mut bytes).expect("writing to a Vec cannot fail");
    BASE64.encode(bytes)
}

pub fn json_instruction(instruction: &Instruction) -> JsonInstruction {
    JsonInstruction {
        program_id: instruction.program_id.to_string(),
        accounts: instruction
            .accounts
            .iter()
            .map(|meta| JsonAccount {
                pubkey: meta.pubkey.to_string(),
                is_signer: meta.is_signer,
                is_writable: meta.is_writable,
            })
            .collect(),
        data: BASE64.encode(&instruction.data),
    }
}

/// The unsigned transaction for `planned`, paid by its first signer, in every form.
pub fn export(planned: &Planned, blockhash: solana_hash::Hash) -> ExportedChange {
    let payer = planned.signers.first().map(|(key, _)| *key).unwrap_or_default();
    let mut transaction = Transaction::new_with_payer(&planned.instructions, Some(&payer));
    transaction.message.recent_blockhash = blockhash;
    let required = usize::from(transaction.message.header.num_required_signatures);
    let bytes = bincode::serialize(&transaction).expect("a transaction always serializes");
    ExportedChange {
        fee_payer: payer.to_string(),
        signers: transaction.message.account_keys[..required].iter().map(ToString::to_string).collect(),
        recent_blockhash: blockhash.to_string(),
        squads_transaction: bs58::encode(&bytes).into_string(),
        transaction_base64: BASE64.encode(&bytes),
        realms_instructions: planned.instructions.iter().map(realms_instruction).collect(),
        instructions: planned.instructions.iter().map(json_instruction).collect(),
    }
}

/// Refuses a change that would not fit one transaction.
pub fn check_size(planned: &Planned) -> ApiResult<()> {
    let payer = planned.signers.first().map(|(key, _)| *key).unwrap_or_default();
    let transaction = Transaction::new_with_payer(&planned.instructions, Some(&payer));
    let size = bincode::serialized_size(&transaction).map_err(Problem::internal)? as usize;
    if size > MAX_TRANSACTION_BYTES {
        return Err(Problem::invalid(
            "body",
            format!(
                "this change needs a {size}-byte transaction, more than one transaction can hold \
                 ({MAX_TRANSACTION_BYTES}); nothing was sent: split it into smaller requests"
            ),
        ));
    }
    Ok(())
}

/// Which way this request's change goes.
pub fn mode_of(state: &AppState, requested: Option<ChangeModeParam>) -> ChangeMode {
    match requested {
        Some(ChangeModeParam::Sign) => ChangeMode::Sign,
        Some(ChangeModeParam::Export) => ChangeMode::Export,
        None => state.config.change_mode,
    }
}

/// Signs and sends `planned` with the configured authority, or exports it.
pub async fn submit(state: &Arc<AppState>, planned: Planned, mode: ChangeMode) -> ApiResult<ChangeResult> {
    check_size(&planned)?;
    let rpc = &state.keeper.rpc;
    match mode {
        ChangeMode::Export => {
            let blockhash = rpc
                .get_latest_blockhash()
                .await
                .map_err(|error| Problem::from(smart_treasury_client::read::rpc_error(rpc, error)))?;
            Ok(ChangeResult {
                status: ChangeStatus::Exported,
                export: Some(export(&planned, blockhash)),
                summary: planned.summary,
                effects: planned.effects,
                signature: None,
                slot: None,
            })
        }
        ChangeMode::Sign => {
            let Some(authority) = &state.authority else {
                return Err(Problem::invalid(
                    "changeMode",
                    "this server holds no authority key (`api.authority_keypair`): use changeMode=export and have \
                     the authority sign",
                ));
            };
            if !planned.signers.iter().any(|(key, _)| *key == authority.pubkey()) {
                let roles: Vec<String> =
                    planned.signers.iter().map(|(key, role)| format!("the {role} {key}")).collect();
                return Err(Problem::conflict(format!(
                    "the server's key {} is not {}: use changeMode=export",
                    authority.pubkey(),
                    roles.join(" or ")
                )));
            }
            let change =
                Change { summary: planned.summary.clone(), instructions: planned.instructions, co_signers: Vec::new() };
            let sent = tx::send(rpc, authority, vec![change]).await?;
            let signature = sent.into_iter().next().map(|sent| sent.signature).unwrap_or_default();
            // Recorded now, so the activity log and webhooks have it before the reply.
            if let Err(error) = smart_treasury_keeper::events::ingest(&state.keeper, &signature).await {
                tracing::warn!(%error, %signature, "the change landed; its events will arrive through the keeper");
            }
            let slot = rpc
                .get_signature_statuses(&[signature.parse().map_err(Problem::internal)?])
                .await
                .ok()
                .and_then(|statuses| statuses.value.into_iter().next().flatten())
                .map(|status| status.slot);
            tracing::info!(change = %planned.summary, %signature, "applied");
            Ok(ChangeResult {
                status: ChangeStatus::Applied,
                summary: planned.summary,
                effects: planned.effects,
                signature: Some(signature),
                slot,
                export: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::solana_program::instruction::AccountMeta;

    #[test]
    fn a_realms_instruction_is_the_governance_layout() {
        let (program, account) = (Pubkey::new_unique(), Pubkey::new_unique());
        let ix = Instruction { program_id: program, accounts: vec![AccountMeta::new(account, true)], data: vec![7, 8] };
        let bytes = BASE64.decode(realms_instruction(&ix)).unwrap();
        let mut expected = program.to_bytes().to_vec();
        expected.extend(1u32.to_le_bytes());
        expected.extend(account.to_bytes());
        expected.extend([1, 1]);
        expected.extend(2u32.to_le_bytes());
        expected.extend([7, 8]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn an_export_decodes_back_to_its_instructions() {
        let authority = Pubkey::new_unique();
        let ix = smart_treasury_client::ix::pause(authority, Pubkey::new_unique());
        let planned = Planned {
            summary: "pause".into(),
            effects: vec![],
            instructions: vec![ix.clone()],
            signers: vec![(authority, "authority")],
        };
        let exported = export(&planned, solana_hash::Hash::new_from_array([3; 32]));
        let bytes = bs58::decode(&exported.squads_transaction).into_vec().unwrap();
        assert_eq!(BASE64.encode(&bytes), exported.transaction_base64);
        let tx: Transaction = bincode::deserialize(&bytes).unwrap();
        assert_eq!(tx.message.account_keys[0], authority);
        assert_eq!(tx.message.instructions.len(), 1);
        assert_eq!(exported.signers, vec![authority.to_string()]);
        assert_eq!(exported.instructions[0], json_instruction(&ix));
        assert!(check_size(&planned).is_ok());
    }
}
