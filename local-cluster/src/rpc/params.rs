//! Positional JSON-RPC parameters (trailing optional ones may be left out, as the Solana RPC
//! allows), method registration, and the checks every method shares.

use jsonrpc_core::{Error, ErrorCode, MetaIoHandler, Metadata, Params, Value};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use solana_hash::Hash;
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use std::{future::Future, str::FromStr};

pub(crate) type RpcResult<T> = Result<T, Error>;

/// How many positional parameters a method takes: `required` of them, `max` in all.
#[derive(Clone, Copy)]
pub(crate) struct Arity {
    pub required: usize,
    pub max: usize,
}

pub(crate) const fn arity(required: usize, max: usize) -> Arity {
    Arity { required, max }
}

/// The parameters of a method that takes none.
#[derive(Deserialize)]
pub(crate) struct NoParams();

/// Registers `name`, parsing its parameters into `P` (a tuple) before calling `handler`.
pub(crate) fn method<M, P, R, F, Fut>(io: &mut MetaIoHandler<M>, name: &'static str, arity: Arity, handler: F)
where
    M: Metadata,
    P: DeserializeOwned + Send + 'static,
    R: Serialize,
    F: Fn(M, P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = RpcResult<R>> + Send + 'static,
{
    io.add_method_with_meta(name, move |params: Params, meta: M| {
        let call = parse::<P>(params, arity).map(|params| handler(meta, params));
        async move {
            let result = call?.await?;
            serde_json::to_value(result).map_err(|err| internal_error(format!("cannot encode the result: {err}")))
        }
    });
}

pub(crate) fn parse<P: DeserializeOwned>(params: Params, arity: Arity) -> RpcResult<P> {
    let mut values = match params {
        Params::None => Vec::new(),
        Params::Array(values) => values,
        Params::Map(_) => {
            return Err(Error::invalid_params("Invalid params: parameters must be a positional array, not an object."))
        }
    };
    if values.len() < arity.required || values.len() > arity.max {
        let expected = if arity.required == arity.max {
            format!("{}", arity.max)
        } else {
            format!("{} to {}", arity.required, arity.max)
        };
        return Err(Error::invalid_params(format!(
            "Invalid params: expected {expected} parameters, got {}.",
            values.len()
        )));
    }
    values.resize(arity.max, Value::Null);
    serde_json::from_value(Value::Array(values)).map_err(|err| Error::invalid_params(format!("Invalid params: {err}.")))
}

pub(crate) fn pubkey(input: &str) -> RpcResult<Pubkey> {
    Pubkey::from_str(input)
        .map_err(|err| Error::invalid_params(format!("Invalid param: `{input}` is not a base-58 public key ({err})")))
}

pub(crate) fn signature(input: &str) -> RpcResult<Signature> {
    Signature::from_str(input)
        .map_err(|err| Error::invalid_params(format!("Invalid param: `{input}` is not a base-58 signature ({err})")))
}

pub(crate) fn hash(input: &str) -> RpcResult<Hash> {
    Hash::from_str(input)
        .map_err(|err| Error::invalid_params(format!("Invalid param: `{input}` is not a base-58 hash ({err})")))
}

pub(crate) fn internal_error(message: String) -> Error {
    Error { code: ErrorCode::InternalError, message, data: None }
}
